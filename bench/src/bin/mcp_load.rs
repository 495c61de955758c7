//! `mcp-load`: one closed-loop load run against a Streamable HTTP MCP endpoint; prints
//! the report as JSON on stdout (and a one-line summary on stderr).
//!
//! Example: `mcp-load http://127.0.0.1:9000/mcp --tool echo_echo -c 64 -d 5s`

use std::time::Duration;

use clap::Parser;
use ocimcp_bench::client::{Endpoint, RequestTemplate};
use ocimcp_bench::load::{self, Plan, Sessions, Work};

#[derive(Parser)]
#[command(about = "Closed-loop tools/call (or tools/list) load over Streamable HTTP MCP")]
struct Args {
    /// The MCP endpoint, http://IP:PORT/PATH.
    url: String,
    /// Tool to call with {"message": ...}.
    #[arg(long, default_value = "echo")]
    tool: String,
    /// The message sent to the tool.
    #[arg(long, default_value = "hello from mcp-load")]
    message: String,
    /// The tool's arguments as a JSON object, instead of {"message": ...} (`{}` for a
    /// tool that takes none, such as `oci_list_domains`).
    #[arg(long, conflicts_with = "message")]
    arguments: Option<String>,
    /// Send tools/list instead of tools/call.
    #[arg(long)]
    list_tools: bool,
    /// Requests in flight at once (one connection each).
    #[arg(short, long, default_value_t = 1)]
    concurrency: usize,
    /// One session shared by every connection, or one per connection.
    #[arg(long, value_enum, default_value_t = Sessions::Shared)]
    sessions: Sessions,
    /// Measured time, in seconds.
    #[arg(short, long, default_value_t = 5.0)]
    duration: f64,
    /// Unmeasured time first, in seconds.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Loader threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.concurrency > 0, "--concurrency must be at least 1");
    anyhow::ensure!(
        args.duration > 0.0,
        "--duration must be more than 0 seconds"
    );
    let plan = Plan {
        endpoint: Endpoint::parse(&args.url)?,
        work: if args.list_tools {
            Work::ListTools(RequestTemplate::tools_list())
        } else if let Some(arguments) = &args.arguments {
            let arguments: serde_json::Value = serde_json::from_str(arguments)
                .map_err(|e| anyhow::anyhow!("--arguments is not JSON: {e}"))?;
            anyhow::ensure!(arguments.is_object(), "--arguments must be a JSON object");
            Work::Call(RequestTemplate::tools_call_with(&args.tool, &arguments))
        } else {
            Work::Call(RequestTemplate::tools_call(&args.tool, &args.message))
        },
        concurrency: args.concurrency,
        sessions: args.sessions,
        warmup: Duration::from_secs_f64(args.warmup.max(0.0)),
        duration: Duration::from_secs_f64(args.duration),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()?;
    let report = runtime.block_on(load::run(plan))?;
    eprintln!(
        "{:.0} req/s  p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms  errors {}  loader CPU {:.2} cores",
        report.per_second,
        report.p50_ms,
        report.p90_ms,
        report.p99_ms,
        report.max_ms,
        report.errors,
        report.loader_cpu
    );
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
