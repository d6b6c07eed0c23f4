//! `behavry trace verify | prove | verify-proof | pubkey`: checking the
//! Decision Trace's tamper evidence straight from the database (opened
//! read-only, safe beside a running gateway) or from a proof file. Nothing
//! here needs the signing key: only the deployment's public key.

use anyhow::{bail, Context as _};
use behavry_core::DecisionId;
use behavry_store::{stored_public_key, Store};
use behavry_trace::{
    ChainVerifier, DecisionProof, RecordProof, StoredRecord, TraceHash, TracePublicKey,
    VerifyReport, PROOF_FORMAT,
};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Records read per query while verifying.
const PAGE: u32 = 2000;

/// Where the database is: `--data-dir` wins over the configuration.
#[derive(clap::Args, Clone)]
pub struct StoreLocation {
    /// Data directory holding behavry.db (default: from the config file).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl StoreLocation {
    async fn open(&self, ctx: &crate::commands::Context) -> anyhow::Result<Store> {
        let store = match &self.data_dir {
            Some(dir) => Store::open_read_only(dir, None).await,
            None => {
                let config = ctx.load_config()?;
                Store::open_read_only(&config.server.data_dir, config.storage.url.as_deref()).await
            }
        };
        store.context("cannot open the store read-only")
    }
}

/// The key to verify with: `--public-key` (text or a file holding it), or
/// the one recorded in the database.
async fn public_key(store: &Store, given: Option<&str>) -> anyhow::Result<TracePublicKey> {
    let recorded = stored_public_key(store).await?;
    match given {
        Some(text) => {
            let key = parse_public_key(text)?;
            if recorded.is_some_and(|r| r != key) {
                eprintln!(
                    "warning: the public key recorded in the database differs from --public-key"
                );
            }
            Ok(key)
        }
        None => {
            let key = recorded.context(
                "no trace signing key is recorded yet (start the gateway once) and no --public-key was given",
            )?;
            eprintln!("note: using the public key recorded in the database ({key}); pass --public-key for a check independent of it");
            Ok(key)
        }
    }
}

/// Public key text, or the path of a file holding it.
pub fn parse_public_key(arg: &str) -> anyhow::Result<TracePublicKey> {
    let text = if Path::new(arg).is_file() {
        std::fs::read_to_string(arg).with_context(|| format!("cannot read {arg}"))?
    } else {
        arg.to_string()
    };
    Ok(TracePublicKey::parse(&text)?)
}

pub async fn pubkey(
    ctx: &crate::commands::Context,
    at: &StoreLocation,
) -> anyhow::Result<ExitCode> {
    let store = at.open(ctx).await?;
    let key = stored_public_key(&store)
        .await?
        .context("no trace signing key is recorded yet: start the gateway once")?;
    println!("{key}");
    Ok(ExitCode::SUCCESS)
}

pub async fn verify(
    ctx: &crate::commands::Context,
    at: &StoreLocation,
    key: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let store = at.open(ctx).await?;
    let key = public_key(&store, key).await?;
    match verify_store(&store, key).await? {
        Ok(report) => {
            if json {
                println!("{}", serde_json::json!({"ok": true, "report": report}));
            } else {
                print_report(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            if json {
                println!("{}", serde_json::json!({"ok": false, "failure": failure}));
            } else {
                println!("trace verification FAILED");
                println!("first bad record: {}", failure.seq);
                println!("what: {}", failure.kind);
                println!("detail: {}", failure.detail);
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

fn print_report(r: &VerifyReport) {
    println!("trace verified");
    println!("records: {}", r.records);
    println!("checkpoints: {}", r.checkpoints);
    println!("sealed through: {}", r.sealed_through);
    println!(
        "unsealed: {} (protected by the hash chain until the next checkpoint)",
        r.unsealed
    );
    if let Some((seq, hash)) = &r.head {
        println!("head: {seq} {hash}");
    }
}

/// Stream every record and checkpoint of `store` through the verifier.
pub async fn verify_store(
    store: &Store,
    key: TracePublicKey,
) -> anyhow::Result<Result<VerifyReport, behavry_trace::VerifyFailure>> {
    let mut verifier = ChainVerifier::new(key);
    let mut checkpoints_loaded = 0u64;
    let mut checkpoints_done = false;
    let mut after = 0;
    loop {
        let page = store.trace_records(after, PAGE).await?;
        let Some(last) = page.last().map(|r| r.seq) else {
            break;
        };
        // Every checkpoint that starts within this page must be queued first.
        while !checkpoints_done && checkpoints_loaded <= last {
            let more = store.trace_checkpoints(checkpoints_loaded, PAGE).await?;
            match more.last() {
                Some(cp) => checkpoints_loaded = cp.last_seq,
                None => checkpoints_done = true,
            }
            verifier.add_checkpoints(more);
        }
        for record in page {
            if let Err(failure) = verifier.push(record) {
                return Ok(Err(failure));
            }
        }
        after = last;
    }
    while !checkpoints_done {
        let more = store.trace_checkpoints(checkpoints_loaded, PAGE).await?;
        match more.last() {
            Some(cp) => checkpoints_loaded = cp.last_seq,
            None => checkpoints_done = true,
        }
        verifier.add_checkpoints(more);
    }
    Ok(verifier.finish())
}

pub async fn prove(
    ctx: &crate::commands::Context,
    at: &StoreLocation,
    decision_id: &str,
) -> anyhow::Result<ExitCode> {
    let store = at.open(ctx).await?;
    let key = stored_public_key(&store)
        .await?
        .context("no trace signing key is recorded yet: start the gateway once")?;
    let proof = build_proof(&store, &key, decision_id).await?;
    proof
        .verify(&key)
        .context("the proof built from the database does not verify; run `behavry trace verify`")?;
    println!("{}", serde_json::to_string(&proof)?);
    Ok(ExitCode::SUCCESS)
}

/// A proof for every sealed event of `decision_id`.
pub async fn build_proof(
    store: &Store,
    key: &TracePublicKey,
    decision_id: &str,
) -> anyhow::Result<DecisionProof> {
    let events = store
        .trace_for_decision(&DecisionId(decision_id.to_string()))
        .await?;
    if events.is_empty() {
        bail!("no trace event has decision id {decision_id}");
    }
    let mut records = Vec::new();
    for (seq, _) in events {
        let record = record_at(store, seq).await?;
        let Some(cp) = store.trace_checkpoint_covering(seq).await? else {
            if records.is_empty() {
                bail!("record {seq} of decision {decision_id} is not sealed by a checkpoint yet; try again after the next checkpoint (trace.checkpoint_every_secs)");
            }
            eprintln!("note: record {seq} is not sealed yet and is left out of the proof");
            continue;
        };
        let range = range_hashes(store, cp.first_seq, cp.tree_size).await?;
        records.push(RecordProof::build(&record, &cp, &range)?);
    }
    Ok(DecisionProof {
        format: PROOF_FORMAT.to_string(),
        decision_id: decision_id.to_string(),
        key_id: key.key_id(),
        records,
    })
}

async fn record_at(store: &Store, seq: u64) -> anyhow::Result<StoredRecord> {
    store
        .trace_records(seq - 1, 1)
        .await?
        .into_iter()
        .find(|r| r.seq == seq)
        .with_context(|| format!("record {seq} is missing"))
}

async fn range_hashes(store: &Store, first: u64, size: u64) -> anyhow::Result<Vec<TraceHash>> {
    let mut hashes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut after = first - 1;
    while (hashes.len() as u64) < size {
        let page = store.trace_records(after, PAGE).await?;
        let Some(last) = page.last().map(|r| r.seq) else {
            break;
        };
        for r in page.into_iter().take((size - hashes.len() as u64) as usize) {
            hashes.push(
                TraceHash::from_hex(&r.hash)
                    .with_context(|| format!("record {} has a malformed hash", r.seq))?,
            );
        }
        after = last;
    }
    Ok(hashes)
}

pub fn verify_proof(file: &Path, key: &str) -> anyhow::Result<ExitCode> {
    let key = parse_public_key(key)?;
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("cannot read the proof from stdin")?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let proof: DecisionProof = match serde_json::from_str(&text) {
        Ok(p) => p,
        Err(e) => {
            println!("proof INVALID: not a trace proof: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    match proof.verify(&key) {
        Ok(proven) => {
            println!("proof verified: decision {}", proven.decision_id);
            for (seq, kind) in proven.events {
                println!("  record {seq}: {kind}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("proof INVALID: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
