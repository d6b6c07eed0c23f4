//! `behavry-loadgen`: measures what Behavry adds to a tool call.
//!
//! It starts the demo MCP server over Streamable HTTP and a `behavry serve`
//! in front of it (both on loopback, temporary data), then sends the same
//! `tools/call` directly and through the gateway, interleaved one by one so
//! that both see the same machine conditions, over keep-alive connections.
//! It reports p50/p90/p99 latency for each path, the added latency, and the
//! throughput of each path with concurrent clients. Runs are bounded by
//! `--requests` and `--seconds`.

mod mcp;
mod stats;
mod topology;

use clap::Parser;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Interleaved request pairs for the latency phase.
    #[arg(long, default_value_t = 3000)]
    requests: usize,
    /// Warm-up pairs, not measured.
    #[arg(long, default_value_t = 300)]
    warmup: usize,
    /// Concurrent clients for the throughput phase.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Duration of each throughput phase.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Directory holding `behavry` and `behavry-demo-server` (default: beside this binary).
    #[arg(long)]
    bin_dir: Option<std::path::PathBuf>,
    /// Policy directory for the gateway.
    #[arg(long, default_value = "policies")]
    policy_dir: std::path::PathBuf,
    /// The gateway's trace durability: fsync or os-buffered.
    #[arg(long, default_value = "fsync")]
    durability: String,
    /// The gateway's `[storage] url` (default: SQLite in a temporary directory),
    /// e.g. a PostgreSQL database to compare the backends.
    #[arg(long)]
    store_url: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let topology = topology::Topology::start(
        args.bin_dir.clone(),
        &args.policy_dir,
        &args.durability,
        args.store_url.as_deref(),
    )
    .await?;
    let result = run(&args, &topology).await;
    topology.stop().await;
    result
}

async fn run(args: &Args, topology: &topology::Topology) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let direct = mcp::Session::open(&http, &topology.direct_url, None).await?;
    let gateway =
        mcp::Session::open(&http, &topology.gateway_url, Some(&topology.credential)).await?;
    let direct_call = mcp::tools_call("list_tables");
    let gateway_call = mcp::tools_call("database.list_tables");

    for _ in 0..args.warmup {
        direct.call(&direct_call).await?;
        gateway.call(&gateway_call).await?;
    }
    let mut direct_lat = Vec::with_capacity(args.requests);
    let mut gateway_lat = Vec::with_capacity(args.requests);
    for i in 0..args.requests {
        // Alternate which path goes first so neither always runs on a warmer cache.
        let order = if i % 2 == 0 {
            [false, true]
        } else {
            [true, false]
        };
        for through_gateway in order {
            let started = Instant::now();
            if through_gateway {
                gateway.call(&gateway_call).await?;
                gateway_lat.push(started.elapsed());
            } else {
                direct.call(&direct_call).await?;
                direct_lat.push(started.elapsed());
            }
        }
    }
    let d = stats::Summary::of(&mut direct_lat);
    let g = stats::Summary::of(&mut gateway_lat);
    println!(
        "latency, {} interleaved sequential pairs (tools/call database.list_tables, keep-alive, trace durability {}):",
        args.requests, args.durability
    );
    println!("| path | p50 ms | p90 ms | p99 ms | mean ms |");
    println!("|---|---|---|---|---|");
    println!("{}", d.row("direct"));
    println!("{}", g.row("through behavry"));
    println!(
        "| added | {:.3} | {:.3} | {:.3} | {:.3} |",
        ms(g.p50) - ms(d.p50),
        ms(g.p90) - ms(d.p90),
        ms(g.p99) - ms(d.p99),
        ms(g.mean) - ms(d.mean)
    );

    print_internal_split(&http, &topology.admin_url).await?;

    let window = Duration::from_secs(args.seconds);
    let direct_rps = throughput(
        &http,
        &topology.direct_url,
        None,
        "list_tables",
        args.concurrency,
        window,
    )
    .await?;
    let gateway_rps = throughput(
        &http,
        &topology.gateway_url,
        Some(&topology.credential),
        "database.list_tables",
        args.concurrency,
        window,
    )
    .await?;
    println!();
    println!(
        "throughput, {} concurrent clients, {} s each:",
        args.concurrency, args.seconds
    );
    println!("| path | calls/s |");
    println!("|---|---|");
    println!("| direct | {direct_rps:.0} |");
    println!("| through behavry | {gateway_rps:.0} |");
    println!("| ratio | {:.2} |", gateway_rps / direct_rps.max(1.0));
    Ok(())
}

/// Mean time inside the gateway per stage, from its own Prometheus
/// histograms (covers warm-up and the latency phase).
async fn print_internal_split(http: &reqwest::Client, admin_url: &str) -> anyhow::Result<()> {
    let text = http
        .get(format!("{admin_url}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    };
    println!();
    println!("inside the gateway (mean per call, from its /metrics):");
    for (stage, metric) in [
        (
            "decision (policy + guards)",
            "behavry_decision_duration_seconds",
        ),
        ("trace append", "behavry_trace_append_duration_seconds"),
        ("upstream round trip", "behavry_upstream_duration_seconds"),
    ] {
        if let (Some(sum), Some(count)) = (
            value(&format!("{metric}_sum")),
            value(&format!("{metric}_count")),
        ) {
            if count > 0.0 {
                println!(
                    "- {stage}: {:.3} ms over {count} calls",
                    sum / count * 1000.0
                );
            }
        }
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn throughput(
    http: &reqwest::Client,
    url: &str,
    credential: Option<&str>,
    tool: &str,
    clients: usize,
    window: Duration,
) -> anyhow::Result<f64> {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let session = mcp::Session::open(http, url, credential).await?;
        let call = mcp::tools_call(tool);
        tasks.spawn(async move {
            let deadline = Instant::now() + window;
            let mut done = 0u64;
            while Instant::now() < deadline {
                session.call(&call).await?;
                done += 1;
            }
            anyhow::Ok(done)
        });
    }
    let mut total = 0u64;
    while let Some(joined) = tasks.join_next().await {
        total += joined??;
    }
    Ok(total as f64 / window.as_secs_f64())
}
