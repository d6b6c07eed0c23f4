//! Trains the learned injection layer (`model/injection.bin`).
//!
//! ```sh
//! cargo run --release -p behavry-scan --example train_injection -- \
//!     --data ../shared/eval --out crates/scan/model/injection.bin [--holdout]
//! ```
//!
//! Data: `tool_results.jsonl` and the `tool_result` records of
//! `obfuscated.jsonl` (after normalisation), plus the injection prompts of
//! `prompts.jsonl` as extra positive sentences with a lower weight. Each
//! text is normalised and cut into sentences exactly as at run time.
//! Sentences of benign texts are negatives. Sentences of injected texts
//! that never occur in a benign text are positive candidates; after a
//! first fit, only candidates the model (or the rule layer) finds
//! suspicious, plus each injected text's top sentence, stay positive
//! (multiple-instance refinement), and the model is fitted again.
//!
//! The model is logistic regression fitted by SGD with L2 regularisation
//! over the named sentence features and 2^16 hashed word/bigram buckets.
//! `--holdout` first reports leave-one-source-out figures: for each source,
//! a model trained without it (and without its obfuscated copies) is
//! scored on it. The shipped model is then trained on everything.
//! `TRAIN_HASHED=0` trains on the named features only (an ablation).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use behavry_scan::eval::{parse_jsonl, Record};
use behavry_scan::injection::features::{Featurizer, FEATURES};
use behavry_scan::injection::{rule_logit, InjectionScanner};
use behavry_scan::learned::{hashed_features, LinearModel};
use behavry_scan::normalize::normalize;
use std::collections::HashSet;
use std::path::PathBuf;

const BUCKETS: usize = 1 << 16;
const EPOCHS: usize = 6;
const L2: f32 = 1e-5;

thread_local! {
    static HASHED: bool = std::env::var("TRAIN_HASHED").map_or(true, |v| v != "0");
}

struct Doc {
    source: String,
    label: u8,
    text: String,
    /// Sentences: text, features.
    sentences: Vec<(String, [f32; FEATURES])>,
    weight: f32,
}

fn base_source(s: &str) -> &str {
    match s {
        "obf-bipia" => "bipia",
        "obf-injecagent" => "injecagent",
        "obf-prompts" => "slabs",
        other => other,
    }
}

fn load(dir: &std::path::Path, featurizer: &Featurizer) -> Vec<Doc> {
    let mut docs = Vec::new();
    for (file, weight) in [
        ("tool_results.jsonl", 1.0),
        ("obfuscated.jsonl", 1.0),
        ("prompts.jsonl", 0.3),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let records: Vec<Record> = parse_jsonl(&text).unwrap();
        for r in records {
            let keep = match file {
                "prompts.jsonl" => r.label == 1 && r.category == "injection",
                "obfuscated.jsonl" => r.channel == "tool_result",
                _ => true,
            };
            if !keep {
                continue;
            }
            let norm = normalize(&r.text);
            let sentences = featurizer
                .sentences(&norm.text)
                .into_iter()
                .map(|s| (norm.text[s.start..s.end].to_string(), s.feats))
                .collect();
            docs.push(Doc {
                source: r.source,
                label: r.label,
                text: r.text,
                sentences,
                weight,
            });
        }
    }
    docs
}

fn key(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

struct Example<'a> {
    text: &'a str,
    feats: &'a [f32; FEATURES],
    y: f32,
    w: f32,
}

fn examples<'a>(docs: &[&'a Doc], model: Option<&LinearModel>) -> Vec<Example<'a>> {
    let benign: HashSet<String> = docs
        .iter()
        .filter(|d| d.label == 0)
        .flat_map(|d| d.sentences.iter().map(|(t, _)| key(t)))
        .collect();
    let mut out = Vec::new();
    let (mut npos, mut nneg) = (0usize, 0usize);
    for d in docs {
        if d.label == 0 {
            for (t, f) in &d.sentences {
                out.push(Example {
                    text: t,
                    feats: f,
                    y: 0.0,
                    w: d.weight,
                });
                nneg += 1;
            }
            continue;
        }
        let cands: Vec<&(String, [f32; FEATURES])> = d
            .sentences
            .iter()
            .filter(|(t, _)| !benign.contains(&key(t)))
            .collect();
        let scored: Vec<(f32, &(String, [f32; FEATURES]))> = cands
            .iter()
            .map(|c| {
                let p = match model {
                    Some(m) => m.predict(&c.0, &c.1),
                    None => 1.0 / (1.0 + (-rule_logit(&c.1)).exp()),
                };
                (p, *c)
            })
            .collect();
        let top = scored.iter().map(|x| x.0).fold(0.0f32, f32::max);
        for (p, (t, f)) in scored {
            // First round: every candidate. Later: the suspicious ones.
            let keep = model.is_none() || p >= 0.5 || p >= top - 1e-6;
            if keep {
                out.push(Example {
                    text: t,
                    feats: f,
                    y: 1.0,
                    w: d.weight,
                });
                npos += 1;
            }
        }
    }
    // Balance classes.
    let scale = nneg as f32 / npos.max(1) as f32;
    for e in &mut out {
        if e.y > 0.5 {
            e.w *= scale.clamp(0.2, 5.0);
        }
    }
    out
}

fn fit(ex: &[Example], seed: u64) -> LinearModel {
    let mut m = LinearModel::zeros(BUCKETS);
    let mut order: Vec<usize> = (0..ex.len()).collect();
    let mut state = seed | 1;
    let mut idx: Vec<usize> = Vec::with_capacity(64);
    for epoch in 0..EPOCHS {
        // Fisher-Yates with xorshift.
        for i in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let lr = 0.2 / (1.0 + epoch as f32);
        for &i in &order {
            let e = &ex[i];
            let p = m.predict(e.text, e.feats);
            let g = (p - e.y) * e.w;
            m.bias -= lr * g;
            for (w, x) in m.feat_weights.iter_mut().zip(e.feats) {
                *w -= lr * (g * x.min(2.0) + L2 * *w);
            }
            idx.clear();
            if HASHED.with(|h| *h) {
                hashed_features(e.text, BUCKETS, |b| idx.push(b));
            }
            if !idx.is_empty() {
                let norm = 1.0 / (idx.len() as f32).sqrt();
                for &b in &idx {
                    let w = &mut m.weights[b];
                    *w -= lr * (g * norm + L2 * *w);
                }
            }
        }
    }
    m
}

fn train(docs: &[&Doc]) -> LinearModel {
    let first = fit(&examples(docs, None), 7);
    fit(&examples(docs, Some(&first)), 11)
}

/// Threshold-free detection at ≤1 % FPR, and TPR/FPR at 0.5.
fn report(name: &str, scanner: &InjectionScanner, pos: &[&Doc], neg: &[&Doc]) {
    let score = |d: &Doc| scanner.score(&normalize(&d.text).text).score;
    let ps: Vec<f32> = pos.iter().map(|d| score(d)).collect();
    let mut ns: Vec<f32> = neg.iter().map(|d| score(d)).collect();
    ns.sort_by(|a, b| b.total_cmp(a));
    let t = ns
        .get((ns.len() as f64 * 0.01).floor() as usize)
        .copied()
        .unwrap_or(f32::NEG_INFINITY);
    let rate = |v: &[f32], f: &dyn Fn(f32) -> bool| {
        if v.is_empty() {
            f64::NAN
        } else {
            v.iter().filter(|&&s| f(s)).count() as f64 / v.len() as f64
        }
    };
    println!(
        "{name:<44} pos {:>5} neg {:>5}  TPR@0.5 {:>6.1}%  FPR@0.5 {:>5.2}%  TPR@1%FPR {:>6.1}% (thr {:.3})",
        ps.len(),
        ns.len(),
        100.0 * rate(&ps, &|s| s >= 0.5),
        100.0 * rate(&ns, &|s| s >= 0.5),
        100.0 * rate(&ps, &|s| s > t),
        t
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dir = PathBuf::from(arg("--data").unwrap_or_else(|| "../shared/eval".into()));
    let out =
        PathBuf::from(arg("--out").unwrap_or_else(|| "crates/scan/model/injection.bin".into()));
    let featurizer = Featurizer::new().unwrap();
    let docs = load(&dir, &featurizer);
    println!("{} texts loaded", docs.len());
    let is_tool = |d: &&Doc| !d.source.starts_with("slabs") && !d.source.starts_with("garak");
    if args.iter().any(|a| a == "--holdout") {
        println!("leave-one-source-out (tool results; held-out source and its obfuscated copies unseen in training):");
        for held in ["agentdojo", "bipia", "injecagent", "tldr"] {
            let train_docs: Vec<&Doc> = docs
                .iter()
                .filter(|d| base_source(&d.source) != held)
                .collect();
            let model = train(&train_docs);
            let scanner = InjectionScanner::new(Some(model)).unwrap();
            let rules = InjectionScanner::new(None).unwrap();
            let test: Vec<&Doc> = docs
                .iter()
                .filter(|d| base_source(&d.source) == held)
                .filter(is_tool)
                .collect();
            let pos: Vec<&Doc> = test.iter().copied().filter(|d| d.label == 1).collect();
            // Benign records of the held-out source; when it has none
            // (tldr), every other source's benign records are used for the
            // threshold, which are in training: flagged as such.
            let neg: Vec<&Doc> = test.iter().copied().filter(|d| d.label == 0).collect();
            report(
                &format!("held out {held}: rules+learned"),
                &scanner,
                &pos,
                &neg,
            );
            report(&format!("held out {held}: rules only"), &rules, &pos, &neg);
        }
    }
    let all: Vec<&Doc> = docs.iter().collect();
    let model = train(&all);
    std::fs::write(&out, model.to_bytes()).unwrap();
    println!("wrote {} ({} bytes)", out.display(), model.to_bytes().len());
    let scanner = InjectionScanner::new(Some(model)).unwrap();
    let tool: Vec<&Doc> = docs.iter().filter(is_tool).collect();
    let pos: Vec<&Doc> = tool.iter().copied().filter(|d| d.label == 1).collect();
    let neg: Vec<&Doc> = tool.iter().copied().filter(|d| d.label == 0).collect();
    report("in-sample, all tool results", &scanner, &pos, &neg);
}
