//! The admin token: minted on first run, stored only as a SHA-256 hash in
//! the store, and written once to `<data_dir>/admin.token` (mode 0600) for
//! the operator and the CLI. Requests compare hashes in constant time.

use behavry_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::path::Path;
use subtle::ConstantTimeEq;

pub const ADMIN_TOKEN_FILE: &str = "admin.token";
const SETTING: &str = "admin_token_sha256";

/// The hash of the deployment's admin token.
#[derive(Clone)]
pub struct AdminToken {
    hash: [u8; 32],
}

impl AdminToken {
    pub fn from_plaintext(token: &str) -> Self {
        AdminToken {
            hash: Sha256::digest(token.trim().as_bytes()).into(),
        }
    }

    pub fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
        bool::from(self.hash.ct_eq(&presented))
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken([hidden])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AdminTokenError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot write the admin token file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("stored admin token hash is malformed")]
    Malformed,
}

/// Load the admin token hash, minting a token on first run. Returns the
/// hash and, when a token was just minted, the path it was written to.
pub async fn ensure_admin_token(
    store: &Store,
    data_dir: &Path,
) -> Result<(AdminToken, Option<std::path::PathBuf>), AdminTokenError> {
    if let Some(stored) = store.get_setting(SETTING).await? {
        let bytes = hex::decode(stored.trim()).map_err(|_| AdminTokenError::Malformed)?;
        let hash: [u8; 32] = bytes.try_into().map_err(|_| AdminTokenError::Malformed)?;
        return Ok((AdminToken { hash }, None));
    }
    let (agent_style, _) = behavry_gateway::mint_credential();
    let token = format!("bhva_{}", agent_style.trim_start_matches("bhv_"));
    let hash_hex = hex::encode(Sha256::digest(token.as_bytes()));
    let path = data_dir.join(ADMIN_TOKEN_FILE);
    write_private(&path, &token).map_err(|source| AdminTokenError::Write {
        path: path.display().to_string(),
        source,
    })?;
    store.put_setting(SETTING, &hash_hex).await?;
    Ok((AdminToken::from_plaintext(&token), Some(path)))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}
