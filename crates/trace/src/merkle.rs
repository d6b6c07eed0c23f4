//! Merkle trees over record hashes, as in Certificate Transparency
//! (RFC 6962 section 2.1; verification as in RFC 9162 section 2.1.3.2).
//!
//! A leaf is `SHA-256(0x00 || record_hash)`, an interior node
//! `SHA-256(0x01 || left || right)`; a tree of `n > 1` leaves splits at the
//! largest power of two below `n`. Trees here are never empty.

use crate::TraceHash;
use sha2::{Digest, Sha256};

/// The leaf hash of one record.
pub fn leaf_hash(record: &TraceHash) -> TraceHash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(record.0);
    TraceHash(h.finalize().into())
}

/// The hash of an interior node.
pub fn node_hash(left: &TraceHash, right: &TraceHash) -> TraceHash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left.0);
    h.update(right.0);
    TraceHash(h.finalize().into())
}

/// Builds the root of a tree one leaf at a time, in O(log n) memory: a
/// stack of the roots of complete subtrees, merged as they fill.
#[derive(Debug, Clone, Default)]
pub struct MerkleAccumulator {
    /// (height, root) of complete subtrees, tallest first.
    stack: Vec<(u32, TraceHash)>,
    size: u64,
}

impl MerkleAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the next record hash.
    pub fn push(&mut self, record: &TraceHash) {
        let mut height = 0;
        let mut hash = leaf_hash(record);
        while let Some(&(top_height, top)) = self.stack.last() {
            if top_height != height {
                break;
            }
            self.stack.pop();
            hash = node_hash(&top, &hash);
            height += 1;
        }
        self.stack.push((height, hash));
        self.size += 1;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the leaves pushed so far; `None` when there are none.
    pub fn root(&self) -> Option<TraceHash> {
        let mut subtrees = self.stack.iter().rev();
        let mut acc = subtrees.next()?.1;
        for (_, left) in subtrees {
            acc = node_hash(left, &acc);
        }
        Some(acc)
    }
}

/// The root of the tree over `records`; `None` when empty.
pub fn merkle_root(records: &[TraceHash]) -> Option<TraceHash> {
    let mut acc = MerkleAccumulator::new();
    for r in records {
        acc.push(r);
    }
    acc.root()
}

/// Largest power of two strictly below `n` (`n >= 2`).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The audit path of leaf `index` in the tree over `records` (RFC 6962
/// `PATH(m, D[n])`), nearest sibling first. `None` if `index` is out of range.
pub fn inclusion_path(records: &[TraceHash], index: usize) -> Option<Vec<TraceHash>> {
    if index >= records.len() {
        return None;
    }
    let mut path = Vec::new();
    collect_path(records, index, &mut path)?;
    Some(path)
}

fn collect_path(records: &[TraceHash], index: usize, path: &mut Vec<TraceHash>) -> Option<()> {
    if records.len() <= 1 {
        return Some(());
    }
    let k = split(records.len());
    let (left, right) = records.split_at(k);
    if index < k {
        collect_path(left, index, path)?;
        path.push(merkle_root(right)?);
    } else {
        collect_path(right, index - k, path)?;
        path.push(merkle_root(left)?);
    }
    Some(())
}

/// True when `path` proves that `record` is leaf `index` of a tree of
/// `tree_size` leaves with root `root`.
pub fn verify_inclusion(
    index: u64,
    tree_size: u64,
    record: &TraceHash,
    path: &[TraceHash],
    root: &TraceHash,
) -> bool {
    if index >= tree_size {
        return false;
    }
    let mut f_n = index;
    let mut s_n = tree_size - 1;
    let mut r = leaf_hash(record);
    for p in path {
        if s_n == 0 {
            return false;
        }
        if f_n & 1 == 1 || f_n == s_n {
            r = node_hash(p, &r);
            while f_n & 1 == 0 && f_n != 0 {
                f_n >>= 1;
                s_n >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    s_n == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6962 MTH, written as the recursive definition.
    fn reference_root(records: &[TraceHash]) -> TraceHash {
        match records.len() {
            0 => TraceHash::digest(b""),
            1 => leaf_hash(&records[0]),
            n => {
                let k = split(n);
                node_hash(
                    &reference_root(&records[..k]),
                    &reference_root(&records[k..]),
                )
            }
        }
    }

    fn records(n: usize) -> Vec<TraceHash> {
        (0..n)
            .map(|i| TraceHash::digest(&(i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn small_trees_have_the_rfc_shape() {
        let r = records(3);
        assert_eq!(
            merkle_root(&r).unwrap(),
            node_hash(
                &node_hash(&leaf_hash(&r[0]), &leaf_hash(&r[1])),
                &leaf_hash(&r[2])
            )
        );
        assert_eq!(merkle_root(&r[..1]).unwrap(), leaf_hash(&r[0]));
        assert_eq!(merkle_root(&[]), None);
    }

    #[test]
    fn every_leaf_of_every_small_tree_proves() {
        for n in 1..=33 {
            let r = records(n);
            let root = merkle_root(&r).unwrap();
            for (i, leaf) in r.iter().enumerate() {
                let path = inclusion_path(&r, i).unwrap();
                assert!(
                    verify_inclusion(i as u64, n as u64, leaf, &path, &root),
                    "n={n} i={i}"
                );
                if n > 1 {
                    let other = (i + 1) % n;
                    assert!(!verify_inclusion(
                        other as u64,
                        n as u64,
                        leaf,
                        &path,
                        &root
                    ));
                }
            }
            assert!(inclusion_path(&r, n).is_none());
        }
    }

    proptest! {
        #[test]
        fn accumulator_matches_the_recursive_definition(n in 1usize..300) {
            let r = records(n);
            prop_assert_eq!(merkle_root(&r).unwrap(), reference_root(&r));
        }

        #[test]
        fn an_altered_path_fails(n in 2usize..200, i in any::<prop::sample::Index>(), which in any::<prop::sample::Index>(), bit in 0usize..256) {
            let r = records(n);
            let i = i.index(n);
            let root = merkle_root(&r).unwrap();
            let mut path = inclusion_path(&r, i).unwrap();
            let j = which.index(path.len());
            path[j].0[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(!verify_inclusion(i as u64, n as u64, &r[i], &path, &root));
        }
    }
}
