//! Resolution of caller-supplied paths inside the sandbox folder.
//!
//! Invariant: a resolved path is always inside the sandbox root, checked twice
//! — lexically (only plain name components; no `..`, no absolute paths, no
//! NUL) and physically (the canonical form of the path, or of its nearest
//! existing ancestor, starts with the canonical root, so symlinks cannot
//! lead outside).

use std::path::{Component, Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SandboxError {
    #[error("path '{0}' escapes the sandbox")]
    Escape(String),
    #[error("path '{0}' is not a valid sandbox path")]
    Invalid(String),
    #[error("sandbox is unavailable: {0}")]
    Io(String),
}

/// The sandbox root (canonical).
#[derive(Debug, Clone)]
pub struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    pub fn new(root: &Path) -> Result<Self, SandboxError> {
        let root = root
            .canonicalize()
            .map_err(|error| SandboxError::Io(error.to_string()))?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Resolves `requested` (relative to the sandbox; `""` and `"."` mean the
    /// root). The target need not exist.
    pub fn resolve(&self, requested: &str) -> Result<PathBuf, SandboxError> {
        if requested.contains('\0') {
            return Err(SandboxError::Invalid(requested.to_owned()));
        }
        let mut lexical = self.root.clone();
        for component in Path::new(requested).components() {
            match component {
                Component::Normal(name) => lexical.push(name),
                Component::CurDir => {}
                Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                    return Err(SandboxError::Escape(requested.to_owned()))
                }
            }
        }
        self.check_physical(&lexical, requested)?;
        Ok(lexical)
    }

    /// The sandbox-relative form of a resolved path, with `/` separators.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<String> = relative
            .components()
            .map(|component| component.as_os_str().to_string_lossy().into_owned())
            .collect();
        Some(parts.join("/"))
    }

    fn check_physical(&self, path: &Path, requested: &str) -> Result<(), SandboxError> {
        let mut existing = path.to_path_buf();
        loop {
            // symlink_metadata so that a dangling symlink counts as existing
            // (canonicalize then fails and the path is refused).
            if existing.symlink_metadata().is_ok() {
                break;
            }
            if !existing.pop() {
                return Err(SandboxError::Escape(requested.to_owned()));
            }
        }
        let canonical = existing
            .canonicalize()
            .map_err(|_| SandboxError::Escape(requested.to_owned()))?;
        if canonical.starts_with(&self.root) {
            Ok(())
        } else {
            Err(SandboxError::Escape(requested.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> (tempfile::TempDir, Sandbox) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("box")).unwrap();
        std::fs::write(dir.path().join("box/a.txt"), "a").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        let sandbox = Sandbox::new(&dir.path().join("box")).unwrap();
        (dir, sandbox)
    }

    #[test]
    fn resolves_paths_inside_the_root() {
        let (_dir, sandbox) = sandbox();
        for ok in ["a.txt", "./a.txt", "new.txt", "sub/new.txt", "", "."] {
            let resolved = sandbox.resolve(ok).unwrap();
            assert!(resolved.starts_with(sandbox.root()), "{ok}");
        }
        assert_eq!(
            sandbox
                .relative(&sandbox.resolve("sub/x.txt").unwrap())
                .as_deref(),
            Some("sub/x.txt")
        );
    }

    #[test]
    fn refuses_escapes() {
        let (dir, sandbox) = sandbox();
        let absolute = dir.path().join("secret.txt");
        for bad in [
            "../secret.txt",
            "a/../../secret.txt",
            "/etc/passwd",
            absolute.to_str().unwrap(),
            "..",
            "a\0b",
        ] {
            assert!(sandbox.resolve(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_that_leave_the_root() {
        let (dir, sandbox) = sandbox();
        std::os::unix::fs::symlink(
            dir.path().join("secret.txt"),
            sandbox.root().join("link.txt"),
        )
        .unwrap();
        std::os::unix::fs::symlink(dir.path(), sandbox.root().join("outside")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("missing"), sandbox.root().join("dangling"))
            .unwrap();
        assert!(sandbox.resolve("link.txt").is_err());
        assert!(sandbox.resolve("outside/secret.txt").is_err());
        assert!(sandbox.resolve("outside/new.txt").is_err());
        assert!(sandbox.resolve("dangling").is_err());
    }
}
