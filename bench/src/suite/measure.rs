//! The measurements: a load run (the `mcp-load` binary, a process of its own, so its CPU is
//! its own), the daemon's start-up (exec → `READY=1` on a `NOTIFY_SOCKET` this process
//! listens on → first complete `tools/list`), and a `backends.d` drop → first successful
//! call of the new backend's tool.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use ocimcp_bench::client::{Connection, Endpoint, RequestTemplate};
use ocimcp_bench::load::{Report, Sessions};
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use super::processes::{self, Programs, Server};

/// How long each load runs.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Timing {
    pub warmup_s: f64,
    pub duration_s: f64,
}

/// One load run through `mcp-load`, with the CPU the server's processes used meanwhile.
pub async fn load(
    programs: &Programs,
    server: &Server,
    concurrency: usize,
    sessions: Sessions,
    timing: Timing,
    list_tools: bool,
) -> anyhow::Result<(Report, f64)> {
    let mut command = tokio::process::Command::new(&programs.mcp_load);
    command
        .arg(server.url())
        .args(["--tool", &server.tool])
        .args(["--concurrency", &concurrency.to_string()])
        .args([
            "--sessions",
            match sessions {
                Sessions::Shared => "shared",
                Sessions::PerConnection => "per-connection",
            },
        ])
        .args(["--duration", &timing.duration_s.to_string()])
        .args(["--warmup", &timing.warmup_s.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if list_tools {
        command.arg("--list-tools");
    } else if let Some(arguments) = &server.arguments {
        command.args(["--arguments", &arguments.to_string()]);
    }
    let before = server_cpu(server.pid());
    let started = Instant::now();
    let output = command.output().await.context("running mcp-load")?;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = (server_cpu(server.pid()) - before).as_secs_f64() / elapsed;
    anyhow::ensure!(
        output.status.success(),
        "mcp-load against {} failed: {}",
        server.name,
        String::from_utf8_lossy(&output.stderr).trim()
    );
    let report: Report = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "mcp-load printed no report: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })?;
    Ok((report, cpu))
}

/// CPU time of a process and its children (the backends, a proxy's backend).
fn server_cpu(pid: u32) -> Duration {
    let mut total = ocimcp_bench::procfs::cpu_time(pid).unwrap_or_default();
    for child in ocimcp_bench::procfs::children(pid) {
        total += ocimcp_bench::procfs::cpu_time(child).unwrap_or_default();
    }
    total
}

/// Times of one daemon start, from exec.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Startup {
    pub ready_ms: f64,
    pub first_list_ms: f64,
}

/// Starts the gateway with `backends` Rust echo backends in `backends.d` and measures when
/// it says `READY=1` and when `tools/list` first lists every backend's tool.
pub async fn startup(programs: &Programs, backends: usize) -> anyhow::Result<Startup> {
    let notify_dir = tempfile::tempdir()?;
    let socket_path = notify_dir.path().join("notify.sock");
    let socket = tokio::net::UnixDatagram::bind(&socket_path)?;
    let files: Vec<(String, String)> = (0..backends)
        .map(|i| {
            let name = format!("b{i}");
            let text = processes::backend_toml(&name, &programs.rust_backend(0));
            (format!("{name}.toml"), text)
        })
        .collect();
    let port = processes::free_port()?;
    let exec = Instant::now();
    let server = processes::spawn_gateway(
        programs,
        "ocimcpd",
        port,
        &[],
        &files,
        &[("NOTIFY_SOCKET", &socket_path)],
    )?;
    let mut buffer = [0u8; 512];
    let ready = loop {
        let received = tokio::time::timeout(Duration::from_secs(30), socket.recv(&mut buffer))
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "ocimcpd sent no READY=1 within 30 s{}",
                    processes::server_log(&server)
                )
            })??;
        if String::from_utf8_lossy(&buffer[..received])
            .lines()
            .any(|l| l == "READY=1")
        {
            break exec.elapsed();
        }
    };
    // The gateway's own two tools, plus one per backend.
    let listed = processes::wait_for_tools(&server, 2 + backends, Duration::from_secs(60)).await?;
    Ok(Startup {
        ready_ms: ready.as_secs_f64() * 1e3,
        first_list_ms: listed.duration_since(exec).as_secs_f64() * 1e3,
    })
}

/// Drops a backend file into the running `gateway`'s `backends.d` (written outside the
/// watched folders, then renamed in, as config tools do) and calls its tool until that
/// succeeds. Returns the milliseconds from the rename to that first successful call.
pub async fn drop_in(programs: &Programs, gateway: &Server, name: &str) -> anyhow::Result<f64> {
    let dir = gateway
        .dir
        .as_ref()
        .context("the gateway has no config dir")?
        .path();
    let staged = dir.join(format!("{name}.toml.new"));
    std::fs::write(
        &staged,
        processes::backend_toml(name, &programs.rust_backend(0)),
    )?;
    let mut connection = Connection::open(&gateway.endpoint).await?;
    connection.initialize().await?;
    let tool = format!("{name}_echo");
    let call = RequestTemplate::tools_call(&tool, "x");
    let dropped = Instant::now();
    std::fs::rename(
        &staged,
        dir.join("etc/backends.d").join(format!("{name}.toml")),
    )?;
    let deadline = dropped + Duration::from_secs(30);
    let mut id = 1;
    loop {
        id += 1;
        match connection.call_tool(call.with_id(id), id).await {
            Ok(_) => break,
            Err(e) if Instant::now() > deadline => {
                anyhow::bail!("{tool} was not callable 30 s after the drop: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
    let callable = dropped.elapsed();
    connection.close_session().await;
    Ok(callable.as_secs_f64() * 1e3)
}

/// The echo backend's own start-up: exec → its answer to `initialize` on stdio.
pub async fn backend_startup(echo_backend: &Path) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut child = tokio::process::Command::new(echo_backend)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let mut stdin = child.stdin.take().context("piped stdin")?;
    let stdout = child.stdout.take().context("piped stdout")?;
    stdin
        .write_all(&RequestTemplate::initialize().with_id(1))
        .await?;
    stdin.write_all(b"\n").await?;
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).await?;
    anyhow::ensure!(
        line.contains("\"result\""),
        "echo-backend answered `{line}`"
    );
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

/// Opens a session and checks that the tool `server`'s loads call (its echo, or
/// `oci_list_domains`) answers without an error.
pub async fn check_call(server: &Server) -> anyhow::Result<()> {
    let endpoint: &Endpoint = &server.endpoint;
    let mut connection = Connection::open(endpoint).await?;
    connection.initialize().await?;
    let call = match &server.arguments {
        Some(arguments) => RequestTemplate::tools_call_with(&server.tool, arguments),
        None => RequestTemplate::tools_call(&server.tool, "ping"),
    };
    let result = connection.call_tool(call.with_id(1), 1).await;
    connection.close_session().await;
    result.with_context(|| {
        format!(
            "{}: {} does not answer{}",
            server.name,
            server.tool,
            processes::server_log(server)
        )
    })?;
    Ok(())
}
