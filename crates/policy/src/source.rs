//! Reading a policy directory into memory: which files belong to a set and
//! the revision that identifies its content.
//!
//! Invariants:
//! - Files are `*.rego` (policy modules) and `*.json` (data documents),
//!   found recursively; entries whose name starts with `.` are skipped
//!   (editor swap files, hidden directories).
//! - The listing is sorted by relative path (with `/` separators), so the
//!   same content always loads in the same order and hashes to the same
//!   revision regardless of directory iteration order.

use crate::error::{io_error, PolicyLoadError};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Deepest directory nesting that is followed; protects against symlink loops.
const MAX_DEPTH: usize = 16;
/// Number of hex characters of the SHA-256 kept as the revision.
const REVISION_HEX_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceKind {
    Rego,
    Data,
}

/// One file of a policy set, read into memory.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// Path relative to the set root, `/`-separated.
    pub relative: String,
    pub kind: SourceKind,
    pub content: String,
}

/// Read every policy and data file under `dir`, sorted by relative path.
pub(crate) fn read_sources(dir: &Path) -> Result<Vec<SourceFile>, PolicyLoadError> {
    let meta = std::fs::metadata(dir).map_err(|e| io_error(dir, e))?;
    if !meta.is_dir() {
        return Err(PolicyLoadError::Io {
            path: dir.to_path_buf(),
            message: "not a directory".to_string(),
        });
    }
    let mut found = Vec::new();
    walk(dir, dir, 0, &mut found)?;
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let mut files = Vec::with_capacity(found.len());
    for (relative, path, kind) in found {
        let content = std::fs::read_to_string(&path).map_err(|e| io_error(&path, e))?;
        files.push(SourceFile {
            relative,
            kind,
            content,
        });
    }
    if !files.iter().any(|f| f.kind == SourceKind::Rego) {
        return Err(PolicyLoadError::NoPolicies(dir.to_path_buf()));
    }
    Ok(files)
}

fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    found: &mut Vec<(String, PathBuf, SourceKind)>,
) -> Result<(), PolicyLoadError> {
    if depth > MAX_DEPTH {
        return Err(PolicyLoadError::Io {
            path: dir.to_path_buf(),
            message: format!("directories nested deeper than {MAX_DEPTH} levels"),
        });
    }
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        let meta = std::fs::metadata(&path).map_err(|e| io_error(&path, e))?;
        if meta.is_dir() {
            walk(root, &path, depth + 1, found)?;
            continue;
        }
        let kind = if name.ends_with(".rego") {
            SourceKind::Rego
        } else if name.ends_with(".json") {
            SourceKind::Data
        } else {
            continue;
        };
        found.push((relative_path(root, &path), path, kind));
    }
    Ok(())
}

fn relative_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Short hex SHA-256 over the sorted `(relative path, content)` pairs.
/// Each field is length-prefixed so no two different sets hash alike.
pub(crate) fn revision_of(files: &[SourceFile]) -> String {
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update((file.relative.len() as u64).to_be_bytes());
        hasher.update(file.relative.as_bytes());
        hasher.update((file.content.len() as u64).to_be_bytes());
        hasher.update(file.content.as_bytes());
    }
    let mut hex = hex::encode(hasher.finalize());
    hex.truncate(REVISION_HEX_LEN);
    hex
}

/// The data document a data file contributes: its JSON object placed under
/// the path of its directory relative to the set root (OPA's convention),
/// so `policies/data.json` merges at `data` and `policies/teams/data.json`
/// at `data.teams`.
pub(crate) fn data_document(file: &SourceFile) -> Result<serde_json::Value, String> {
    let value: serde_json::Value =
        serde_json::from_str(&file.content).map_err(|e| e.to_string())?;
    if !value.is_object() {
        return Err("a data file must hold a JSON object".to_string());
    }
    let mut dirs: Vec<&str> = file.relative.split('/').collect();
    dirs.pop();
    Ok(dirs.into_iter().rev().fold(value, |inner, dir| {
        let mut map = serde_json::Map::new();
        map.insert(dir.to_string(), inner);
        serde_json::Value::Object(map)
    }))
}
