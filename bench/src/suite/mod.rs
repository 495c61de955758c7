//! The suite's scenarios, in the order they run, and the results they gather.

pub mod measure;
pub mod processes;
pub mod report;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use ocimcp_bench::load::{Report, Sessions};
use serde::Serialize;

use crate::{Args, Only};
use measure::Timing;
use processes::{Programs, Server};

/// One aggregated load figure: the round with the median throughput.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// "direct", "ocimcpd", "mcp-proxy", "fastmcp-proxy".
    pub target: String,
    /// "rust" or "python": the echo backend behind it; "builtin": the gateway's own
    /// in-process OCI tool set, calling `oci_list_domains`.
    pub backend: String,
    pub concurrency: usize,
    pub sessions: Sessions,
    pub report: Report,
    /// CPU the target's processes (server and its children) used, in cores.
    pub server_cpu: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Memory {
    pub idle_one_backend_mib: f64,
    pub after_load_mib: f64,
    pub many_backends: usize,
    pub tools_per_backend: usize,
    pub many_backends_mib: f64,
    /// The peer proxies' own processes after the loads (their backends not counted).
    pub peers_mib: Vec<(String, f64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StartupFigures {
    pub backends: usize,
    pub ready_ms: f64,
    pub first_list_ms: f64,
    pub samples: Vec<measure::Startup>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DropFigures {
    pub callable_ms: f64,
    /// The Rust echo backend's own start-up (exec → initialize answered), for comparison.
    pub backend_startup_ms: f64,
    pub samples: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub date: String,
    pub machine: report::Machine,
    pub timing: Timing,
    pub rounds: usize,
    /// The one scenario run (`--only`), or `None` for the whole suite.
    pub only: Option<String>,
    pub loads: Vec<Row>,
    /// `None` in a partial run (`--only`), as are `tools_list` and `drop`, and `startup`
    /// is empty.
    pub memory: Option<Memory>,
    pub tools_list: Option<Row>,
    pub startup: Vec<StartupFigures>,
    pub drop: Option<DropFigures>,
    /// Peers not measured, and why.
    pub skipped: Vec<String>,
}

impl Results {
    pub fn row(
        &self,
        target: &str,
        backend: &str,
        concurrency: usize,
        sessions: Sessions,
    ) -> Option<&Row> {
        self.loads.iter().find(|r| {
            r.target == target
                && r.backend == backend
                && r.concurrency == concurrency
                && r.sessions == sessions
        })
    }
}

fn programs(args: &Args) -> anyhow::Result<Programs> {
    let here = std::env::current_exe()?;
    let dir = here
        .parent()
        .context("this program's folder")?
        .to_path_buf();
    let beside = |name: &str| -> anyhow::Result<PathBuf> {
        let path = dir.join(name);
        anyhow::ensure!(
            path.exists(),
            "{} is missing; build it first: cargo build --release -p ocimcpd -p ocimcp-bench",
            path.display()
        );
        Ok(path)
    };
    let python = match &args.python {
        Some(python) => python.clone(),
        None => PathBuf::from(".cache/venvs/fastmcp/bin/python"),
    };
    // The built-in scenario alone runs no Python.
    anyhow::ensure!(
        python.exists() || args.only == Some(Only::Builtin),
        "{} is missing: pass --python (a Python with fastmcp 4.1.2), or run tests/bootstrap.sh",
        python.display()
    );
    Ok(Programs {
        ocimcpd: match &args.ocimcpd {
            Some(path) => path.clone(),
            None => beside("ocimcpd")?,
        },
        echo_backend: beside("echo-backend")?,
        mcp_load: beside("mcp-load")?,
        python,
        scripts: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python"),
        mcp_proxy: args.mcp_proxy.clone(),
    })
}

/// Starts a server and waits until it lists `tools` tools and the tool its loads call
/// answers.
async fn started(server: anyhow::Result<Server>, tools: usize) -> anyhow::Result<Server> {
    let server = server?;
    processes::wait_for_tools(&server, tools, Duration::from_secs(60)).await?;
    if !server.tool.is_empty() {
        measure::check_call(&server).await?;
    }
    Ok(server)
}

/// The gateway with no stdio backends and its built-in OCI tool set on (see
/// [`processes::spawn_builtin_gateway`]): listed once it has more than its own two tools.
async fn builtin_gateway(programs: &Programs) -> anyhow::Result<Server> {
    let port = processes::free_port()?;
    started(
        processes::spawn_builtin_gateway(programs, "ocimcpd (built-in OCI tools)", port),
        3,
    )
    .await
}

/// One load run of the plan: target, backend, the server, concurrency, sessions.
type Planned<'a> = (&'a str, &'a str, &'a Server, usize, Sessions);

/// Runs every load of `plan` once per round, in turn, so that drifts in the machine's
/// speed fall on every target alike; each row is the round with the median throughput.
async fn measure_rounds(
    programs: &Programs,
    plan: &[Planned<'_>],
    rounds: usize,
    timing: Timing,
) -> anyhow::Result<Vec<Row>> {
    let mut samples: Vec<Vec<(Report, f64)>> = vec![Vec::new(); plan.len()];
    for round in 1..=rounds {
        for (i, (target, backend, server, concurrency, sessions)) in plan.iter().enumerate() {
            eprintln!(
                "round {round}/{rounds}: {target} ({backend}, {}), concurrency {concurrency}, {sessions:?} session(s)",
                server.tool
            );
            let measured =
                measure::load(programs, server, *concurrency, *sessions, timing, false).await?;
            samples[i].push(measured);
        }
    }
    Ok(plan
        .iter()
        .zip(samples)
        .map(|((target, backend, _, concurrency, sessions), runs)| {
            let (report, server_cpu) = median(runs);
            Row {
                target: (*target).to_owned(),
                backend: (*backend).to_owned(),
                concurrency: *concurrency,
                sessions: *sessions,
                report,
                server_cpu,
            }
        })
        .collect())
}

/// `--only builtin`: the built-in tool call path at concurrency 1 and 64, with the
/// gateway fronting the Rust echo backend over stdio in the same rounds as a yardstick, so
/// that runs on a machine loaded differently can still be compared.
async fn builtin_only(
    programs: &Programs,
    rounds: usize,
    timing: Timing,
) -> anyhow::Result<Results> {
    eprintln!("starting the gateway with its built-in OCI tools, and one with the Rust echo");
    let builtin = builtin_gateway(programs).await?;
    let gateway = gateway_fronting(programs, "echo", programs.rust_backend(0)).await?;
    let plan: Vec<Planned<'_>> = [1, 64]
        .into_iter()
        .flat_map(|c| {
            [
                ("ocimcpd", "builtin", &builtin, c, Sessions::Shared),
                ("ocimcpd", "rust", &gateway, c, Sessions::Shared),
            ]
        })
        .collect();
    let loads = measure_rounds(programs, &plan, rounds, timing).await?;
    Ok(Results {
        date: report::now_utc(),
        machine: report::Machine::read(),
        timing,
        rounds,
        only: Some("builtin".to_owned()),
        loads,
        memory: None,
        tools_list: None,
        startup: Vec::new(),
        drop: None,
        skipped: Vec::new(),
    })
}

/// The gateway with one backend, `name`, run by `command`; its echo tool is `name_echo`.
async fn gateway_fronting(
    programs: &Programs,
    name: &str,
    command: Vec<String>,
) -> anyhow::Result<Server> {
    let label = format!("ocimcpd ({name})");
    let backends = [(name.to_owned(), command)];
    let port = processes::free_port()?;
    // The gateway's own two tools and the echo.
    started(
        processes::spawn_gateway(programs, &label, port, &backends, &[], &[]),
        3,
    )
    .await
}

/// An echo backend serving Streamable HTTP itself (`command --http ADDR`).
async fn served_directly(label: &str, mut command: Vec<String>) -> anyhow::Result<Server> {
    let port = processes::free_port()?;
    command.extend(["--http".to_owned(), format!("127.0.0.1:{port}")]);
    started(processes::spawn_http(label, port, &command, "echo"), 1).await
}

pub async fn run(args: &Args) -> anyhow::Result<Results> {
    let programs = programs(args)?;
    let timing = Timing {
        warmup_s: args.warmup,
        duration_s: args.duration,
    };
    let rounds = args.rounds.max(1);
    if args.only == Some(Only::Builtin) {
        return builtin_only(&programs, rounds, timing).await;
    }
    let mut skipped = Vec::new();

    eprintln!("starting the targets");
    let gateway = gateway_fronting(&programs, "echo", programs.rust_backend(0)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_mib(&gateway);
    let gateway_py = gateway_fronting(&programs, "py", programs.python_backend()).await?;
    let direct_rust = served_directly("echo-backend --http", programs.rust_backend(0)).await?;
    let direct_py = served_directly("echo_server.py --http", programs.python_backend()).await?;
    let builtin = builtin_gateway(&programs).await?;
    // Peers, each fronting the Rust and the Python echo backend over stdio.
    let mut peers: Vec<(String, String, Server)> = Vec::new();
    for (backend, command) in [
        ("rust", programs.rust_backend(0)),
        ("python", programs.python_backend()),
    ] {
        let port = processes::free_port()?;
        let mut fastmcp = vec![
            programs.python.display().to_string(),
            programs
                .scripts
                .join("fastmcp_proxy.py")
                .display()
                .to_string(),
            "--http".to_owned(),
            format!("127.0.0.1:{port}"),
            "--".to_owned(),
        ];
        fastmcp.extend(command.iter().cloned());
        let server = started(
            processes::spawn_http("FastMCP proxy", port, &fastmcp, "echo"),
            1,
        )
        .await?;
        peers.push(("fastmcp-proxy".to_owned(), backend.to_owned(), server));
        if let Some(mcp_proxy) = &programs.mcp_proxy {
            let port = processes::free_port()?;
            let mut proxy = vec![
                mcp_proxy.display().to_string(),
                "--host".to_owned(),
                "127.0.0.1".to_owned(),
                "--port".to_owned(),
                port.to_string(),
                "--log-level".to_owned(),
                "WARNING".to_owned(),
                "--".to_owned(),
            ];
            proxy.extend(command.iter().cloned());
            let server =
                started(processes::spawn_http("mcp-proxy", port, &proxy, "echo"), 1).await?;
            peers.push(("mcp-proxy".to_owned(), backend.to_owned(), server));
        }
    }
    if programs.mcp_proxy.is_none() {
        skipped.push("mcp-proxy: not measured (no --mcp-proxy given)".to_owned());
    }

    // Every load run of every round, in turn, so that drifts in the machine's speed fall
    // on every target alike.
    let mut targets: Vec<(&str, &str, &Server)> = vec![
        ("direct", "rust", &direct_rust),
        ("ocimcpd", "rust", &gateway),
        ("direct", "python", &direct_py),
        ("ocimcpd", "python", &gateway_py),
        // (h): the built-in tool set, in process: at concurrency 1 and 64 only.
        ("ocimcpd", "builtin", &builtin),
    ];
    targets.extend(peers.iter().map(|(n, b, s)| (n.as_str(), b.as_str(), s)));
    let mut plan: Vec<Planned<'_>> = Vec::new();
    // (a): every target at concurrency 1 and 64; (b), (c): the Rust backend's targets at
    // every concurrency, and the gateway with one session per connection too.
    for concurrency in [1, 16, 64, 256] {
        for &(target, backend, server) in &targets {
            if backend == "rust" || concurrency == 1 || concurrency == 64 {
                plan.push((target, backend, server, concurrency, Sessions::Shared));
            }
        }
        plan.push((
            "ocimcpd",
            "rust",
            &gateway,
            concurrency,
            Sessions::PerConnection,
        ));
    }
    let loads = measure_rounds(&programs, &plan, rounds, timing).await?;
    let after_load = rss_mib(&gateway);
    let peers_mib = peers
        .iter()
        .map(|(name, backend, server)| (format!("{name} ({backend} echo)"), rss_mib(server)))
        .collect();
    drop((plan, targets));
    drop((gateway, gateway_py, direct_rust, direct_py, builtin, peers));

    eprintln!(
        "memory and tools/list with {} backends × {} tools",
        args.many_backends, args.tools_per_backend
    );
    let (many_backends_mib, tools_list) = many_tools(&programs, args, timing).await?;

    let mut startup = Vec::new();
    for backends in [0, 10] {
        eprintln!("start-up with {backends} backends");
        let mut samples = Vec::new();
        for _ in 0..args.repeats.max(1) {
            samples.push(measure::startup(&programs, backends).await?);
        }
        let mut ready: Vec<f64> = samples.iter().map(|s| s.ready_ms).collect();
        let mut listed: Vec<f64> = samples.iter().map(|s| s.first_list_ms).collect();
        startup.push(StartupFigures {
            backends,
            ready_ms: middle(&mut ready),
            first_list_ms: middle(&mut listed),
            samples,
        });
    }

    eprintln!("backends.d drops");
    let watcher = started(
        processes::spawn_gateway(
            &programs,
            "ocimcpd (drops)",
            processes::free_port()?,
            &[],
            &[],
            &[],
        ),
        2,
    )
    .await?;
    let mut drops = Vec::new();
    let mut backend_startups = Vec::new();
    for i in 0..args.repeats.max(1) {
        drops.push(measure::drop_in(&programs, &watcher, &format!("late{i}")).await?);
        backend_startups.push(measure::backend_startup(&programs.echo_backend).await?);
    }
    let mut sorted = drops.clone();
    let drop_figures = DropFigures {
        callable_ms: middle(&mut sorted),
        backend_startup_ms: middle(&mut backend_startups),
        samples: drops,
    };

    Ok(Results {
        date: report::now_utc(),
        machine: report::Machine::read(),
        timing,
        rounds,
        only: None,
        loads,
        memory: Some(Memory {
            idle_one_backend_mib: idle,
            after_load_mib: after_load,
            many_backends: args.many_backends,
            tools_per_backend: args.tools_per_backend,
            many_backends_mib,
            peers_mib,
        }),
        tools_list: Some(tools_list),
        startup,
        drop: Some(drop_figures),
        skipped,
    })
}

/// The gateway with `many_backends` Rust echo backends of `tools_per_backend` tools each:
/// its RSS once all are listed, and `tools/list` latency at concurrency 1.
async fn many_tools(
    programs: &Programs,
    args: &Args,
    timing: Timing,
) -> anyhow::Result<(f64, Row)> {
    // `echo` plus the extra tools make `tools_per_backend` in all.
    let extra = args.tools_per_backend.saturating_sub(1);
    let files: Vec<(String, String)> = (0..args.many_backends)
        .map(|i| {
            let name = format!("m{i:03}");
            (
                format!("{name}.toml"),
                processes::backend_toml(&name, &programs.rust_backend(extra)),
            )
        })
        .collect();
    let server = processes::spawn_gateway(
        programs,
        "ocimcpd (many backends)",
        processes::free_port()?,
        &[],
        &files,
        &[],
    )?;
    let tools = 2 + args.many_backends * args.tools_per_backend.max(1);
    processes::wait_for_tools(&server, tools, Duration::from_secs(120)).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss = rss_mib(&server);
    let mut runs = Vec::new();
    for _ in 0..args.rounds.max(1) {
        runs.push(measure::load(programs, &server, 1, Sessions::Shared, timing, true).await?);
    }
    let (report, server_cpu) = median(runs);
    Ok((
        rss,
        Row {
            target: "ocimcpd".to_owned(),
            backend: "rust".to_owned(),
            concurrency: 1,
            sessions: Sessions::Shared,
            report,
            server_cpu,
        },
    ))
}

fn rss_mib(server: &Server) -> f64 {
    ocimcp_bench::procfs::rss_bytes(server.pid()).unwrap_or(0) as f64 / (1024.0 * 1024.0)
}

/// The run with the median throughput.
fn median(mut runs: Vec<(Report, f64)>) -> (Report, f64) {
    runs.sort_by(|a, b| a.0.per_second.total_cmp(&b.0.per_second));
    let middle = runs.len() / 2;
    runs.swap_remove(middle)
}

fn middle(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}
