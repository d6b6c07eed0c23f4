//! Evaluation on labelled JSONL (`text`, `label`, `channel`, `category`,
//! `source`, optional `previous`, `subtype`, `variant`, `transform`), as
//! used by `behavry scan eval`.
//!
//! A record's score is what the gateway would act on: the injection score
//! for `tool_result` records (prompt records use the prompt weighting,
//! where questions and tasks are ordinary), the `tool_poisoning` confidence
//! for `tool_description` records (or, with `previous`, 1 when the pin hash
//! changed), and for `tool_args` the highest confidence among findings of
//! the kinds the file is about (secrets, PII or dangerous arguments).
//! Every figure is reported per file, channel and category, with the
//! threshold that keeps false positives at or below 1 %.

use crate::finding::Kind;
use crate::{pin, Scanner};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// One labelled record.
#[derive(Debug, Clone, Deserialize)]
pub struct Record {
    pub text: String,
    pub label: u8,
    pub channel: String,
    pub category: String,
    pub source: String,
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub transform: Option<String>,
}

/// A scored record.
#[derive(Debug, Clone)]
pub struct Scored {
    pub record: Record,
    /// Score with the learned layer (when enabled).
    pub score: f32,
    /// Rule layer only.
    pub rule_score: f32,
    pub micros: f64,
}

fn kinds_for(category: &str) -> &'static [Kind] {
    match category {
        "secret" => &[Kind::Secret],
        "pii" => &[Kind::Pii],
        "path_traversal" | "command_injection" | "sql_injection" | "destructive_command" => &[
            Kind::PathTraversal,
            Kind::CommandInjection,
            Kind::SqlInjection,
            Kind::DestructiveCommand,
            Kind::Ssrf,
        ],
        _ => &[],
    }
}

/// Parses JSON Lines into records; blank lines are skipped; the first bad
/// line is an error naming its number.
pub fn parse_jsonl(text: &str) -> Result<Vec<Record>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str::<Record>(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}

/// Parses a tool-args text the way the data set renders it: a JSON object,
/// or a raw string.
pub fn parse_args(text: &str) -> Value {
    if text.trim_start().starts_with('{') {
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
            return v;
        }
    }
    Value::String(text.to_string())
}

/// Scores every record of one file. `kinds` are the finding kinds that
/// count for `tool_args` records (from the file's malicious categories).
pub fn score_file(scanner: &Scanner, rules_only: &Scanner, records: Vec<Record>) -> Vec<Scored> {
    let kinds: BTreeSet<Kind> = records
        .iter()
        .filter(|r| r.label == 1)
        .flat_map(|r| kinds_for(&r.category).iter().copied())
        .collect();
    let kinds: Vec<Kind> = kinds.into_iter().collect();
    records
        .into_iter()
        .map(|record| {
            let started = Instant::now();
            let (score, rule_score) = score_one(scanner, rules_only, &record, &kinds);
            let micros = started.elapsed().as_secs_f64() * 1e6;
            Scored {
                record,
                score,
                rule_score,
                micros,
            }
        })
        .collect()
}

fn score_one(scanner: &Scanner, rules_only: &Scanner, r: &Record, kinds: &[Kind]) -> (f32, f32) {
    match r.channel.as_str() {
        "prompt" => {
            let s = rules_only.prompt_score(&r.text);
            (s, s)
        }
        "tool_result" => {
            let rep = scanner.scan_result(&Value::String(r.text.clone()));
            (rep.injection_score, rep.injection_rule_score)
        }
        "tool_description" => {
            let def =
                serde_json::from_str::<Value>(&r.text).unwrap_or(Value::String(r.text.clone()));
            if let Some(prev) = &r.previous {
                let before =
                    serde_json::from_str::<Value>(prev).unwrap_or(Value::String(prev.clone()));
                let changed = if pin::pin_hash(&before) != pin::pin_hash(&def) {
                    1.0
                } else {
                    0.0
                };
                return (changed, changed);
            }
            let rep = rules_only.scan_tool_definition(&def);
            let s = rep.max_confidence(Kind::ToolPoisoning);
            (s, s)
        }
        _ => {
            let rep = rules_only.scan_arguments(&parse_args(&r.text));
            let s = kinds
                .iter()
                .map(|k| rep.max_confidence(*k))
                .fold(0.0, f32::max);
            (s, s)
        }
    }
}

/// Detection figures for one group of records.
#[derive(Debug, Clone, Serialize)]
pub struct GroupFigures {
    pub file: String,
    pub channel: String,
    /// A malicious category, or `benign`, or `all` for pooled figures.
    pub category: String,
    /// `combined` (rules + learned where enabled) or `rules`.
    pub layer: String,
    pub positives: usize,
    pub negatives: usize,
    /// At the configured threshold.
    pub threshold: f32,
    pub tpr: Option<f64>,
    pub fpr: Option<f64>,
    pub precision: Option<f64>,
    /// Highest threshold-free detection rate with FPR ≤ 1 % on the
    /// channel's benign records, and that threshold.
    pub tpr_at_1pct_fpr: Option<f64>,
    pub threshold_at_1pct_fpr: Option<f32>,
    pub tpr_at_01pct_fpr: Option<f64>,
    pub roc_auc: Option<f64>,
}

/// False-positive rate per source (benign records only).
#[derive(Debug, Clone, Serialize)]
pub struct SourceFpr {
    pub file: String,
    pub source: String,
    pub slice: String,
    pub negatives: usize,
    pub fpr: f64,
}

/// Throughput and latency.
#[derive(Debug, Clone, Serialize)]
pub struct Speed {
    pub layer: String,
    pub bytes: usize,
    pub records: usize,
    pub mb_per_s: f64,
    pub p50_ms_per_kb: f64,
    pub p99_ms_per_kb: f64,
}

/// The whole evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub threshold: f32,
    pub learned_layer: bool,
    pub groups: Vec<GroupFigures>,
    pub fpr_by_source: Vec<SourceFpr>,
    pub secrets_by_subtype: Vec<GroupFigures>,
    pub speed: Vec<Speed>,
}

/// The threshold above which at most `max_fpr` of `neg` scores lie.
fn threshold_for(neg: &[f32], max_fpr: f64) -> f32 {
    let mut sorted: Vec<f32> = neg.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let allowed = (max_fpr * sorted.len() as f64).floor() as usize;
    sorted.get(allowed).copied().unwrap_or(f32::NEG_INFINITY)
}

fn rate(hits: usize, n: usize) -> Option<f64> {
    (n > 0).then(|| hits as f64 / n as f64)
}

fn auc(pos: &[f32], neg: &[f32]) -> Option<f64> {
    if pos.is_empty() || neg.is_empty() {
        return None;
    }
    let mut all: Vec<(f32, bool)> = pos
        .iter()
        .map(|&s| (s, true))
        .chain(neg.iter().map(|&s| (s, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < all.len() {
        let mut j = i;
        while j < all.len() && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg = (i + j + 1) as f64 / 2.0;
        rank_sum += avg * all[i..j].iter().filter(|x| x.1).count() as f64;
        i = j;
    }
    let np = pos.len() as f64;
    let nn = neg.len() as f64;
    Some((rank_sum - np * (np + 1.0) / 2.0) / (np * nn))
}

fn figures(
    file: &str,
    channel: &str,
    category: &str,
    layer: &str,
    pos: &[f32],
    neg: &[f32],
    threshold: f32,
) -> GroupFigures {
    let tp = pos.iter().filter(|&&s| s >= threshold).count();
    let fp = neg.iter().filter(|&&s| s >= threshold).count();
    let t1 = (!neg.is_empty()).then(|| threshold_for(neg, 0.01));
    let t01 = (!neg.is_empty()).then(|| threshold_for(neg, 0.001));
    GroupFigures {
        file: file.into(),
        channel: channel.into(),
        category: category.into(),
        layer: layer.into(),
        positives: pos.len(),
        negatives: neg.len(),
        threshold,
        tpr: rate(tp, pos.len()),
        fpr: rate(fp, neg.len()),
        precision: rate(tp, tp + fp),
        tpr_at_1pct_fpr: t1.and_then(|t| rate(pos.iter().filter(|&&s| s > t).count(), pos.len())),
        threshold_at_1pct_fpr: t1,
        tpr_at_01pct_fpr: t01.and_then(|t| rate(pos.iter().filter(|&&s| s > t).count(), pos.len())),
        roc_auc: auc(pos, neg),
    }
}

/// Computes every figure for the scored files.
pub fn summarize(files: &[(String, Vec<Scored>)], threshold: f32, learned: bool) -> Summary {
    let mut groups = Vec::new();
    let mut fpr_by_source = Vec::new();
    let mut secrets_by_subtype = Vec::new();
    let layers: &[&str] = if learned {
        &["combined", "rules"]
    } else {
        &["rules"]
    };
    for (file, scored) in files {
        let channels: BTreeSet<&str> = scored.iter().map(|s| s.record.channel.as_str()).collect();
        for channel in channels {
            let in_channel: Vec<&Scored> = scored
                .iter()
                .filter(|s| s.record.channel == channel)
                .collect();
            let learned_channel = learned && channel == "tool_result";
            for layer in layers {
                if *layer == "combined" && !learned_channel {
                    continue;
                }
                let pick = |s: &Scored| {
                    if *layer == "rules" {
                        s.rule_score
                    } else {
                        s.score
                    }
                };
                let neg: Vec<f32> = in_channel
                    .iter()
                    .filter(|s| s.record.label == 0)
                    .map(|s| pick(s))
                    .collect();
                let cats: BTreeSet<&str> = in_channel
                    .iter()
                    .filter(|s| s.record.label == 1)
                    .map(|s| s.record.category.as_str())
                    .collect();
                let all_pos: Vec<f32> = in_channel
                    .iter()
                    .filter(|s| s.record.label == 1)
                    .map(|s| pick(s))
                    .collect();
                groups.push(figures(
                    file, channel, "all", layer, &all_pos, &neg, threshold,
                ));
                if cats.len() > 1 {
                    for cat in &cats {
                        let pos: Vec<f32> = in_channel
                            .iter()
                            .filter(|s| s.record.label == 1 && s.record.category == *cat)
                            .map(|s| pick(s))
                            .collect();
                        groups.push(figures(file, channel, cat, layer, &pos, &neg, threshold));
                    }
                }
                // FPR per source and per look-alike slice, at the threshold.
                let mut slices: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
                for s in in_channel.iter().filter(|s| s.record.label == 0) {
                    let slice = s
                        .record
                        .variant
                        .clone()
                        .or(s.record.transform.clone())
                        .or(s.record.subtype.clone())
                        .unwrap_or_else(|| "-".into());
                    let mut keys = vec![(s.record.source.clone(), "-".to_string())];
                    if slice != "-" {
                        keys.push((s.record.source.clone(), slice));
                    }
                    for key in keys {
                        let e = slices.entry(key).or_default();
                        e.0 += 1;
                        e.1 += usize::from(pick(s) >= threshold);
                    }
                }
                if *layer == layers[0] {
                    for ((source, slice), (n, fp)) in slices {
                        fpr_by_source.push(SourceFpr {
                            file: file.clone(),
                            source,
                            slice,
                            negatives: n,
                            fpr: fp as f64 / n as f64,
                        });
                    }
                }
            }
            if channel == "tool_args" && in_channel.iter().any(|s| s.record.category == "secret") {
                let subtypes: BTreeSet<String> = in_channel
                    .iter()
                    .filter_map(|s| s.record.subtype.clone())
                    .collect();
                for st in subtypes {
                    let pos: Vec<f32> = in_channel
                        .iter()
                        .filter(|s| s.record.label == 1 && s.record.subtype.as_deref() == Some(&st))
                        .map(|s| s.score)
                        .collect();
                    let neg: Vec<f32> = in_channel
                        .iter()
                        .filter(|s| s.record.label == 0 && s.record.subtype.as_deref() == Some(&st))
                        .map(|s| s.score)
                        .collect();
                    secrets_by_subtype
                        .push(figures(file, channel, &st, "rules", &pos, &neg, threshold));
                }
            }
        }
    }
    Summary {
        threshold,
        learned_layer: learned,
        groups,
        fpr_by_source,
        secrets_by_subtype,
        speed: Vec::new(),
    }
}

/// Throughput and per-KB latency of scoring `scored` records.
pub fn speed(layer: &str, scored: &[&Scored]) -> Speed {
    let bytes: usize = scored.iter().map(|s| s.record.text.len()).sum();
    let micros: f64 = scored.iter().map(|s| s.micros).sum();
    let mut per_kb: Vec<f64> = scored
        .iter()
        .filter(|s| !s.record.text.is_empty())
        .map(|s| s.micros / 1000.0 / (s.record.text.len() as f64 / 1024.0))
        .collect();
    per_kb.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        per_kb
            .get(((per_kb.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };
    Speed {
        layer: layer.into(),
        bytes,
        records: scored.len(),
        mb_per_s: if micros > 0.0 {
            bytes as f64 / micros
        } else {
            0.0
        },
        p50_ms_per_kb: pct(0.5),
        p99_ms_per_kb: pct(0.99),
    }
}

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{:.1}%", v * 100.0))
}

impl Summary {
    /// A table for people.
    pub fn table(&self) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "threshold {:.2}; learned layer {}\n\n",
            self.threshold,
            if self.learned_layer { "on" } else { "off" }
        ));
        out.push_str(&format!(
            "{:<30} {:<17} {:<20} {:<8} {:>6} {:>6} {:>8} {:>8} {:>10} {:>8} {:>9} {:>7}\n",
            "file",
            "channel",
            "category",
            "layer",
            "pos",
            "neg",
            "TPR@thr",
            "FPR@thr",
            "TPR@1%FPR",
            "thr@1%",
            "TPR@.1%",
            "AUC"
        ));
        for g in &self.groups {
            out.push_str(&format!(
                "{:<30} {:<17} {:<20} {:<8} {:>6} {:>6} {:>8} {:>8} {:>10} {:>8} {:>9} {:>7}\n",
                g.file,
                g.channel,
                g.category,
                g.layer,
                g.positives,
                g.negatives,
                pct(g.tpr),
                pct(g.fpr),
                pct(g.tpr_at_1pct_fpr),
                g.threshold_at_1pct_fpr
                    .map_or("-".into(), |t| if t.is_finite() {
                        format!("{t:.3}")
                    } else {
                        "any".into()
                    }),
                pct(g.tpr_at_01pct_fpr),
                g.roc_auc.map_or("-".into(), |a| format!("{a:.3}")),
            ));
        }
        if !self.secrets_by_subtype.is_empty() {
            out.push_str("\nsecrets by subtype (at threshold)\n");
            for g in &self.secrets_by_subtype {
                out.push_str(&format!(
                    "  {:<24} pos {:>4} recall {:>7}   neg {:>4} FPR {:>7}\n",
                    g.category,
                    g.positives,
                    pct(g.tpr),
                    g.negatives,
                    pct(g.fpr)
                ));
            }
        }
        out.push_str("\nfalse-positive rate on benign records by source / slice (at threshold)\n");
        for s in &self.fpr_by_source {
            out.push_str(&format!(
                "  {:<30} {:<22} {:<22} n {:>5} FPR {:>6.2}%\n",
                s.file,
                s.source,
                s.slice,
                s.negatives,
                s.fpr * 100.0
            ));
        }
        out.push_str("\nspeed (one thread)\n");
        for s in &self.speed {
            out.push_str(&format!(
                "  {:<34} {:>9} bytes {:>6} records {:>8.1} MB/s  p50 {:.4} ms/KB  p99 {:.4} ms/KB\n",
                s.layer, s.bytes, s.records, s.mb_per_s, s.p50_ms_per_kb, s.p99_ms_per_kb
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_keeps_fpr_bounded() {
        let neg: Vec<f32> = (0..200).map(|i| i as f32 / 200.0).collect();
        let t = threshold_for(&neg, 0.01);
        let fp = neg.iter().filter(|&&s| s > t).count();
        assert!(fp <= 2, "{fp}");
        assert_eq!(threshold_for(&[], 0.01), f32::NEG_INFINITY);
    }

    #[test]
    fn auc_of_perfect_and_random() {
        assert_eq!(auc(&[0.9, 0.8], &[0.1, 0.2]), Some(1.0));
        assert_eq!(auc(&[0.5], &[0.5]), Some(0.5));
    }

    #[test]
    fn args_parse_as_object_or_string() {
        assert!(parse_args("{\"a\": 1}").is_object());
        assert!(parse_args("{not json").is_string());
        assert!(parse_args("ls -la").is_string());
    }
}
