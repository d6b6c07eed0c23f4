//! The learned layer: a logistic-regression model over a sentence's named
//! features ([`crate::injection::features`]) and hashed word unigrams and
//! bigrams. Runs on CPU in microseconds; the weights are a small file
//! (`model/injection.bin`) compiled in with `include_bytes!`; nothing is
//! fetched at run time. `examples/train_injection.rs` trains it (see
//! docs/scanning.md for the procedure).
//!
//! File format (little-endian): magic `BHVLM001`, `u32` bucket count
//! (a power of two), `u32` named-feature count, `f32` bias, the named
//! feature weights, then one `f32` per bucket.

use crate::injection::features::FEATURES;

const MAGIC: &[u8; 8] = b"BHVLM001";

/// The model shipped with this build.
pub const BUILTIN: &[u8] = include_bytes!("../model/injection.bin");

/// Errors reading a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file is too short or has the wrong magic")]
    Format,
    #[error("model bucket count {0} is not a power of two between 2^8 and 2^24")]
    Buckets(u32),
    #[error("model has {0} named features; this build has {FEATURES}")]
    Features(u32),
}

/// A trained linear model.
#[derive(Debug, Clone, PartialEq)]
pub struct LinearModel {
    pub bias: f32,
    pub feat_weights: [f32; FEATURES],
    pub weights: Vec<f32>,
}

/// FNV-1a over bytes, then mixed; stable across platforms and releases.
fn hash(bytes: &[u8], seed: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Calls `f` with the bucket of every hashed feature of `sentence`:
/// lower-cased words (letters and digits, digits collapsed to `0`) and
/// adjacent word pairs.
pub fn hashed_features(sentence: &str, buckets: usize, mut f: impl FnMut(usize)) {
    let mask = (buckets as u64).saturating_sub(1);
    let mut prev: Option<u64> = None;
    let mut word: Vec<u8> = Vec::with_capacity(16);
    let mut flush = |word: &mut Vec<u8>, prev: &mut Option<u64>| {
        if word.is_empty() {
            return;
        }
        let h = hash(word, 1);
        f((h & mask) as usize);
        if let Some(p) = *prev {
            f(((p.rotate_left(17) ^ h).wrapping_mul(0x9e37_79b9_7f4a_7c15) & mask) as usize);
        }
        *prev = Some(h);
        word.clear();
    };
    for c in sentence.chars() {
        if c.is_alphanumeric() {
            if c.is_ascii_digit() {
                if word.last() != Some(&b'0') {
                    word.push(b'0');
                }
            } else {
                for l in c.to_lowercase() {
                    let mut buf = [0u8; 4];
                    word.extend_from_slice(l.encode_utf8(&mut buf).as_bytes());
                }
            }
            if word.len() > 40 {
                word.truncate(40);
            }
        } else {
            flush(&mut word, &mut prev);
        }
    }
    flush(&mut word, &mut prev);
}

impl LinearModel {
    /// A zero model with `buckets` hashed weights.
    pub fn zeros(buckets: usize) -> LinearModel {
        LinearModel {
            bias: 0.0,
            feat_weights: [0.0; FEATURES],
            weights: vec![0.0; buckets],
        }
    }

    /// The model compiled into this build, if the file holds one.
    pub fn builtin() -> Result<LinearModel, ModelError> {
        LinearModel::from_bytes(BUILTIN)
    }

    /// The logit for one sentence.
    pub fn logit(&self, sentence: &str, feats: &[f32; FEATURES]) -> f32 {
        let mut z = self.bias;
        for (w, x) in self.feat_weights.iter().zip(feats) {
            z += w * x.min(2.0);
        }
        let n = self.weights.len();
        let mut sum = 0.0f32;
        let mut count = 0u32;
        hashed_features(sentence, n, |i| {
            sum += self.weights.get(i).copied().unwrap_or(0.0);
            count += 1;
        });
        // Hashed features are averaged so long sentences do not dominate.
        if count > 0 {
            z += sum / (count as f32).sqrt();
        }
        z
    }

    /// The probability that `sentence` is an injected instruction.
    pub fn predict(&self, sentence: &str, feats: &[f32; FEATURES]) -> f32 {
        1.0 / (1.0 + (-self.logit(sentence, feats)).exp())
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(20 + 4 * (FEATURES + self.weights.len()));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.weights.len() as u32).to_le_bytes());
        out.extend_from_slice(&(FEATURES as u32).to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        for w in self.feat_weights.iter().chain(&self.weights) {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<LinearModel, ModelError> {
        if bytes.len() < 20 || &bytes[..8] != MAGIC {
            return Err(ModelError::Format);
        }
        let u32_at = |i: usize| -> Result<u32, ModelError> {
            bytes
                .get(i..i + 4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_le_bytes)
                .ok_or(ModelError::Format)
        };
        let f32_at = |i: usize| u32_at(i).map(f32::from_bits);
        let buckets = u32_at(8)?;
        if !buckets.is_power_of_two() || !(256..=1 << 24).contains(&buckets) {
            return Err(ModelError::Buckets(buckets));
        }
        let nfeat = u32_at(12)?;
        if nfeat as usize != FEATURES {
            return Err(ModelError::Features(nfeat));
        }
        let expected = 20 + 4 * (FEATURES + buckets as usize);
        if bytes.len() != expected {
            return Err(ModelError::Format);
        }
        let bias = f32_at(16)?;
        let mut feat_weights = [0.0; FEATURES];
        for (k, w) in feat_weights.iter_mut().enumerate() {
            *w = f32_at(20 + 4 * k)?;
        }
        let base = 20 + 4 * FEATURES;
        let weights = (0..buckets as usize)
            .map(|k| f32_at(base + 4 * k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LinearModel {
            bias,
            feat_weights,
            weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_files() {
        let mut m = LinearModel::zeros(256);
        m.bias = -1.5;
        m.feat_weights[3] = 2.0;
        m.weights[7] = 0.25;
        let bytes = m.to_bytes();
        assert_eq!(LinearModel::from_bytes(&bytes).unwrap(), m);
        assert!(LinearModel::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(LinearModel::from_bytes(b"nonsense").is_err());
        let mut bad = bytes.clone();
        bad[8..12].copy_from_slice(&300u32.to_le_bytes());
        assert!(matches!(
            LinearModel::from_bytes(&bad),
            Err(ModelError::Buckets(300))
        ));
    }

    #[test]
    fn hashing_is_stable_and_in_range() {
        let mut a = Vec::new();
        hashed_features("Send the code to Mark, 2024!", 1024, |i| a.push(i));
        let mut b = Vec::new();
        hashed_features("send THE code to mark 1999", 1024, |i| b.push(i));
        assert_eq!(a, b);
        assert_eq!(a.len(), 5 + 4 + 1 + 1);
        assert!(a.iter().all(|&i| i < 1024));
    }
}
