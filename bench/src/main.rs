//! `ocimcp-bench`: the benchmark suite. In one run, alternating between the targets round
//! after round, it measures
//!
//! - (a) added latency: the gateway vs the same echo backend served directly, Rust and
//!   Python (FastMCP), at concurrency 1 and 64; the peer proxies beside it;
//! - (b) the gateway's throughput with the Rust backend at concurrency 1/16/64/256, one
//!   shared session and one session per connection; (c) the peers' in the same rounds;
//! - (d) the daemon's memory idle, after the loads, and with N backends × M tools;
//! - (e) `tools/list` latency with those N × M tools;
//! - (f) exec → `READY=1` and → first complete `tools/list`, with 0 and 10 backends;
//! - (g) a `backends.d` drop → its tool callable;
//! - (h) the built-in tool call path: the gateway with no stdio backends and its built-in
//!   OCI tool set (in process), `tools/call` of `oci_list_domains` at concurrency 1 and 64,
//!   in the same rounds as (a)–(c) (`--only builtin` runs this alone, beside the gateway
//!   with the Rust echo backend as a yardstick, in about a minute);
//!
//! then writes dated Markdown and JSON results, and optionally the results section of
//! `docs/BENCHMARKS.md`. Targets are checked here and reported, never asserted in tests.
//! `bench/run.sh` builds everything and runs this with the peers installed.

mod suite;

use std::path::PathBuf;

use clap::Parser;

#[derive(Parser)]
#[command(
    about = "Benchmarks ocimcpd beside the same backends served directly and beside peer proxies"
)]
pub struct Args {
    /// The gateway binary (default: `ocimcpd` beside this program).
    #[arg(long)]
    ocimcpd: Option<PathBuf>,
    /// Python with FastMCP installed (the tests' fastmcp venv).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The `mcp-proxy` executable; without it mcp-proxy is left out (and said so).
    #[arg(long)]
    mcp_proxy: Option<PathBuf>,
    /// Rounds: every target is measured once per round, in turn.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Measured seconds per load run.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured seconds before each load run.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Backends for the memory and tools/list figures.
    #[arg(long, default_value_t = 100)]
    many_backends: usize,
    /// Tools per backend for the memory and tools/list figures.
    #[arg(long, default_value_t = 50)]
    tools_per_backend: usize,
    /// Start-ups and drops measured (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeats: usize,
    /// Where the dated results go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Replace the results section of this Markdown file (docs/BENCHMARKS.md). Ignored
    /// (and said so) with --only: a partial run does not replace a full one.
    #[arg(long)]
    update_docs: Option<PathBuf>,
    /// Run only this scenario: `builtin`, the built-in tool call path (the gateway with
    /// no stdio backends and its in-process OCI tools, `tools/call` of `oci_list_domains`
    /// at concurrency 1 and 64), with the gateway fronting the Rust echo backend at the
    /// same concurrencies in the same rounds as a yardstick; takes rounds × 4 × (warmup +
    /// duration) seconds, and needs neither Python nor the peers.
    #[arg(long, value_enum)]
    only: Option<Only>,
}

/// The scenarios `--only` can run alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Only {
    /// The built-in tool call path (`oci_list_domains` at concurrency 1 and 64).
    Builtin,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let results = runtime.block_on(suite::run(&args))?;
    let (markdown, json) = suite::report::write(&results, &args.out)?;
    eprintln!("results: {} and {}", markdown.display(), json.display());
    match (&args.update_docs, args.only) {
        (Some(docs), None) => {
            suite::report::update_docs(docs, &results)?;
            eprintln!("updated {}", docs.display());
        }
        (Some(docs), Some(_)) => eprintln!(
            "{} left as it is: a partial run (--only) does not replace the results of a full one",
            docs.display()
        ),
        (None, _) => {}
    }
    print!("{}", suite::report::markdown(&results));
    Ok(())
}
