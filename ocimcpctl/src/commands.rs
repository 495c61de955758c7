//! One function per command: ask the daemon (or do it locally, for `desktop-config`,
//! `completions`; `check-config` runs the `ocimcpd` executable), then print for people or,
//! with `--json`, the result as JSON.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::CommandFactory;
use serde::Serialize;
use serde_json::{Map, Value, json};

use ocimcp_proto::admin::{
    self as protocol, Changed, DiscoverParams, Discovered, LOG_LAGGED, LOG_LINE, LogLine, Logs,
    LogsLagged, LogsParams, Reloaded, Show, Status, Tools, ToolsParams,
};
use ocimcp_proto::backend::{BackendReport, BackendState, EnabledBy};

use crate::Failure;
use crate::admin::{self, AdminClient, Sockets};
use crate::cli::{CallArgs, Cli, Command, DesktopClient, LogsArgs, TokenCommand, Wait};
use crate::output::{self, Table, age, alarming, one_line};
use crate::{bridge, daemon_exe, mcp};

pub async fn run(cli: Cli) -> Result<(), Failure> {
    let sockets = Sockets::locate(cli.socket.clone(), cli.runtime_dir.clone());
    let json = cli.json;
    match cli.command {
        Command::Status => status(&sockets, json).await,
        Command::List => list(&sockets, json).await,
        Command::Show(name) => show(&sockets, &name.name, json).await,
        Command::Enable(wait) => {
            change(&sockets, protocol::ENABLE, &wait.name, Some(&wait), json).await
        }
        Command::Disable(name) => change(&sockets, protocol::DISABLE, &name.name, None, json).await,
        Command::Start(wait) => {
            change(&sockets, protocol::START, &wait.name, Some(&wait), json).await
        }
        Command::Stop(name) => change(&sockets, protocol::STOP, &name.name, None, json).await,
        Command::Restart(wait) => {
            change(&sockets, protocol::RESTART, &wait.name, Some(&wait), json).await
        }
        Command::Reload => reload(&sockets, json).await,
        Command::Logs(args) => logs(&sockets, args, json).await,
        Command::Tools { backend } => tools(&sockets, backend, json).await,
        Command::Call(args) => call(&sockets, args, json).await,
        Command::Discover { paths } => discover(&sockets, paths, json).await,
        Command::CheckConfig { path } => check_config(path, json),
        Command::Bridge(args) => bridge::run(&sockets, args).await,
        Command::Token(TokenCommand::Hash) => token_hash(json),
        Command::DesktopConfig { client } => desktop_config(client, &cli),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ocimcpctl",
                &mut std::io::stdout(),
            );
            Ok(())
        }
        Command::Manpage => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| Failure::Failed(format!("writing the man page: {e}"))),
    }
}

/// `token hash`: the SHA-256 of the token on stdin (surrounding whitespace trimmed), as
/// `[[auth.tokens]] hash` wants it. The token itself is never printed.
fn token_hash(json: bool) -> Result<(), Failure> {
    use sha2::{Digest, Sha256};
    let mut token = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut token)
        .map_err(|e| Failure::Failed(format!("reading the token from stdin: {e}")))?;
    let token = token.trim();
    if token.is_empty() {
        return Err(Failure::Failed(
            "no token on stdin: pipe one in, e.g. `ocimcpctl token hash < token-file`".to_owned(),
        ));
    }
    let digest = Sha256::digest(token.as_bytes());
    let hash = format!(
        "sha256:{}",
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if json {
        print_json(&serde_json::json!({ "hash": hash }));
    } else {
        println!("{hash}");
    }
    Ok(())
}

fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("ocimcpctl: encoding JSON: {e}"),
    }
}

async fn status(sockets: &Sockets, json: bool) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let status: Status = client.call(protocol::STATUS, Value::Null).await?;
    if json {
        print_json(&status);
        return Ok(());
    }
    let d = &status.daemon;
    println!(
        "ocimcpd {}, pid {}, up {}{}; config: {}",
        d.version,
        d.pid,
        age(d.uptime_seconds),
        if d.settled {
            ""
        } else {
            " (backends still starting)"
        },
        d.config
    );
    println!("MCP: {} and {}", d.mcp_url, d.mcp_socket.display());
    println!();
    print!("{}", backend_table(&status.backends));
    if !status.rejected.is_empty() {
        println!();
        println!("Rejected configuration (what ran before keeps running):");
        for rejected in &status.rejected {
            for line in rejected.error.lines() {
                println!("  {line}");
            }
        }
    }
    Ok(())
}

async fn list(sockets: &Sockets, json: bool) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let list: protocol::List = client.call(protocol::LIST, Value::Null).await?;
    if json {
        print_json(&list);
    } else {
        print!("{}", backend_table(&list.backends));
    }
    Ok(())
}

fn backend_table(backends: &[BackendReport]) -> String {
    if backends.is_empty() {
        return "No backends. Add files to backends.d/, or scan paths to [discovery].\n".to_owned();
    }
    let mut table = Table::new(&[
        "NAME",
        "STATE",
        "ENABLED",
        "TRANSPORT",
        "TOOLS",
        "IN FLIGHT",
        "FAILS",
        "RESTARTS",
        "PING",
        "SINCE",
        "LAST ERROR",
    ]);
    for b in backends {
        let enabled = match (b.enabled, b.enabled_by) {
            (true, EnabledBy::Spec) => "yes",
            (false, EnabledBy::Spec) => "no",
            (true, EnabledBy::State) => "yes (ctl)",
            (false, EnabledBy::State) => "no (ctl)",
            (_, EnabledBy::Changed) => "no (changed)",
        };
        let error = b
            .last_error
            .as_deref()
            .map(|e| alarming(one_line(e, 80)))
            .unwrap_or_else(|| "".into());
        table.row(vec![
            b.name.as_str().into(),
            output::state(b.state),
            enabled.into(),
            b.transport.as_str().into(),
            b.tools.to_string().into(),
            in_flight(b).into(),
            b.consecutive_failures.to_string().into(),
            b.restarts.to_string().into(),
            b.last_ping_ms
                .map_or_else(String::new, |ms| format!("{ms:.1}ms"))
                .into(),
            age(b.state_for_seconds).into(),
            error,
        ]);
    }
    table.render(output::colour())
}

/// "3", or "3 +2 queued".
fn in_flight(b: &BackendReport) -> String {
    if b.queued > 0 {
        format!("{} +{} queued", b.in_flight, b.queued)
    } else {
        b.in_flight.to_string()
    }
}

async fn show(sockets: &Sockets, name: &str, json: bool) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let show: Show = client.call(protocol::SHOW, admin::name(name)).await?;
    if json {
        print_json(&show);
        return Ok(());
    }
    let r = &show.report;
    let mut lines: Vec<(&str, String)> = vec![
        ("name", r.name.clone()),
        (
            "state",
            format!("{} for {}", r.state, age(r.state_for_seconds)),
        ),
        (
            "enabled",
            format!(
                "{} (by {})",
                if r.enabled { "yes" } else { "no" },
                match r.enabled_by {
                    EnabledBy::Spec => "its spec",
                    EnabledBy::State => "ocimcpctl enable/disable",
                    EnabledBy::Changed =>
                        "a change: what it runs (command, args, env or venv) changed since it was enabled; review it and `ocimcpctl enable` it again",
                }
            ),
        ),
        ("description", show.description.clone()),
        ("defined at", show.origin.clone()),
        ("transport", r.transport.clone()),
        ("runs", show.target.clone()),
    ];
    if let Some(cwd) = &show.cwd {
        lines.push(("cwd", cwd.display().to_string()));
    }
    if let Some(venv) = &show.venv {
        lines.push(("venv", venv.display().to_string()));
    }
    let namespace = if r.namespace.is_empty() {
        "(none)".to_owned()
    } else {
        r.namespace.clone()
    };
    lines.push(("namespace", namespace));
    if !r.tags.is_empty() {
        lines.push(("tags", r.tags.join(", ")));
    }
    if let Some(pid) = r.pid {
        lines.push(("pid", pid.to_string()));
    }
    if let Some(server) = &r.server {
        lines.push(("server", server.clone()));
    }
    if let Some(protocol) = &r.protocol_version {
        lines.push(("protocol", protocol.clone()));
    }
    lines.push(("in flight", in_flight(r)));
    lines.push(("consecutive failures", r.consecutive_failures.to_string()));
    if let Some(ms) = r.last_ping_ms {
        lines.push(("last ping", format!("{ms:.1}ms")));
    }
    lines.push(("restarts", r.restarts.to_string()));
    if let Some(exit) = &r.last_exit {
        lines.push(("last exit", exit.clone()));
    }
    if let Some(error) = &r.last_error {
        lines.push(("last error", error.clone()));
    }
    if let Some(next) = r.next_attempt_in_seconds {
        let what = if r.state == BackendState::Quarantined {
            "next probe"
        } else {
            "next attempt"
        };
        lines.push((what, format!("in {next:.1}s")));
    }
    lines.push((
        "tools",
        format!(
            "{} {}",
            show.exposed_tools.len(),
            show.exposed_tools.join(" ")
        ),
    ));
    for conflict in &r.conflicts {
        lines.push(("not exposed", conflict.clone()));
    }
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in lines {
        let mut values = value.lines();
        println!("{key:>width$}: {}", values.next().unwrap_or(""));
        for more in values {
            println!("{:>width$}  {more}", "");
        }
    }
    if !show.stderr_tail.is_empty() {
        println!("\nlast stderr lines:");
        for line in &show.stderr_tail {
            println!("  {line}");
        }
    }
    Ok(())
}

/// enable, disable, start, stop, restart; the first three wait for the backend to become
/// ready or fail, unless told not to.
async fn change(
    sockets: &Sockets,
    method: &str,
    name: &str,
    wait: Option<&Wait>,
    json: bool,
) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let mut changed: Changed = client.call(method, admin::name(name)).await?;
    let wait = wait.filter(|w| !w.no_wait);
    let waited = wait.is_some();
    if let Some(wait) = wait {
        let deadline = Instant::now() + Duration::from_secs(wait.timeout);
        while changed.backend.state == BackendState::Starting && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let show: Show = client.call(protocol::SHOW, admin::name(name)).await?;
            changed.backend = show.report;
        }
    }
    let b = &changed.backend;
    if json {
        print_json(&changed);
    } else {
        let past = match method {
            protocol::ENABLE => "enabled",
            protocol::DISABLE => "disabled",
            protocol::START => "started",
            protocol::STOP => "stopped",
            _ => "restarted",
        };
        println!("{name}: {past}; now {} ({} tools)", b.state, b.tools);
    }
    match b.state {
        BackendState::Starting if waited => Err(Failure::Failed(format!(
            "{name} is still starting; `ocimcpctl show {name}` tells how it goes"
        ))),
        BackendState::Restarting | BackendState::Failed | BackendState::Quarantined if waited => {
            Err(Failure::Failed(format!(
                "{name} did not start: {}",
                b.last_error.as_deref().unwrap_or("no error recorded")
            )))
        }
        _ => Ok(()),
    }
}

async fn reload(sockets: &Sockets, json: bool) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let reloaded: Reloaded = client.call(protocol::RELOAD, Value::Null).await?;
    if json {
        print_json(&reloaded);
        return Ok(());
    }
    let a = &reloaded.applied;
    if a.is_empty() {
        println!(
            "configuration reloaded: no backend changed ({} unchanged)",
            a.unchanged
        );
    } else {
        println!(
            "configuration reloaded: added [{}], changed [{}], removed [{}], {} unchanged",
            a.added.join(", "),
            a.changed.join(", "),
            a.removed.join(", "),
            a.unchanged
        );
    }
    for note in &reloaded.notes {
        println!("note: {note}");
    }
    Ok(())
}

async fn logs(sockets: &Sockets, args: LogsArgs, json: bool) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let params = LogsParams {
        backend: args.name.clone(),
        lines: args.lines,
        follow: args.follow,
    };
    let logs: Logs = client.call(protocol::LOGS, params).await?;
    let mut out = std::io::stdout().lock();
    for line in &logs.lines {
        print_line(&mut out, &logs.source, line, json)?;
    }
    drop(out);
    if !args.follow {
        return Ok(());
    }
    loop {
        let notification = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            n = client.notification() => n?,
        };
        let Some(notification) = notification else {
            return Err(Failure::Failed(
                "the daemon closed the log stream (did it stop?)".to_owned(),
            ));
        };
        let mut out = std::io::stdout().lock();
        match notification.method.as_str() {
            LOG_LINE => {
                if let Ok(line) = serde_json::from_value::<LogLine>(notification.params) {
                    print_line(&mut out, &logs.source, &line.line, json)?;
                }
            }
            LOG_LAGGED => {
                if let Ok(lagged) = serde_json::from_value::<LogsLagged>(notification.params) {
                    eprintln!(
                        "ocimcpctl: {} line(s) skipped: output was too slow",
                        lagged.missed
                    );
                }
            }
            _ => {}
        }
    }
}

fn print_line(out: &mut impl Write, source: &str, line: &str, json: bool) -> Result<(), Failure> {
    let written = if json {
        writeln!(out, "{}", json!({ "source": source, "line": line }))
    } else {
        writeln!(out, "{line}")
    };
    // A closed pipe (`| head`) ends the command quietly.
    written.map_err(|_| Failure::Failed("output closed".to_owned()))
}

async fn tools(sockets: &Sockets, backend: Option<String>, json: bool) -> Result<(), Failure> {
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let tools: Tools = client
        .call(protocol::TOOLS, ToolsParams { backend })
        .await?;
    if json {
        print_json(&tools);
        return Ok(());
    }
    let mut table = Table::new(&["TOOL", "BACKEND", "DESCRIPTION"]);
    for tool in &tools.tools {
        table.row(vec![
            tool.name.as_str().into(),
            tool.backend.as_deref().unwrap_or("(gateway)").into(),
            one_line(tool.description.as_deref().unwrap_or(""), 70).into(),
        ]);
    }
    print!("{}", table.render(output::colour()));
    Ok(())
}

async fn call(sockets: &Sockets, args: CallArgs, json: bool) -> Result<(), Failure> {
    let arguments = call_arguments(&args)?;
    let result = mcp::call_tool(&sockets.mcp, &args.tool, arguments).await?;
    let is_error = result.get("isError").and_then(Value::as_bool) == Some(true);
    if json {
        print_json(&result);
    } else {
        let mut printed = false;
        for block in result
            .get("content")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match block.get("type").and_then(Value::as_str) {
                Some("text") => {
                    println!(
                        "{}",
                        block.get("text").and_then(Value::as_str).unwrap_or("")
                    );
                }
                _ => println!("{block}"),
            }
            printed = true;
        }
        if !printed && let Some(structured) = result.get("structuredContent") {
            print_json(structured);
        }
    }
    if is_error {
        return Err(Failure::Failed(format!(
            "tool `{}` reported an error",
            args.tool
        )));
    }
    Ok(())
}

/// `--json-args` as the base, then each `--arg KEY=VALUE` (VALUE as JSON if it parses).
fn call_arguments(args: &CallArgs) -> Result<Map<String, Value>, Failure> {
    let mut arguments = match &args.json_args {
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err(Failure::Failed(
                    "--json-args must be a JSON object".to_owned(),
                ));
            }
            Err(e) => {
                return Err(Failure::Failed(format!(
                    "--json-args is not valid JSON: {e}"
                )));
            }
        },
        None => Map::new(),
    };
    for arg in &args.args {
        let Some((key, value)) = arg.split_once('=') else {
            return Err(Failure::Failed(format!(
                "--arg `{arg}` must look like KEY=VALUE"
            )));
        };
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_owned()));
        arguments.insert(key.to_owned(), value);
    }
    Ok(arguments)
}

async fn discover(sockets: &Sockets, paths: Vec<PathBuf>, json: bool) -> Result<(), Failure> {
    let paths = if paths.is_empty() {
        None
    } else {
        let absolute: Result<Vec<PathBuf>, _> = paths.iter().map(std::path::absolute).collect();
        Some(absolute.map_err(|e| Failure::Failed(format!("bad path: {e}")))?)
    };
    let mut client = AdminClient::connect(&sockets.admin).await?;
    let found: Discovered = client
        .call(protocol::DISCOVER, DiscoverParams { paths })
        .await?;
    if json {
        print_json(&found);
        return Ok(());
    }
    if found.scan_paths.is_empty() {
        println!(
            "No scan paths are configured ([discovery] scan_paths); name folders to scan: ocimcpctl discover PATH..."
        );
        return Ok(());
    }
    if found.found.is_empty() {
        println!("No MCP projects found in {}", join_paths(&found.scan_paths));
    } else {
        let mut table = Table::new(&["NAME", "STATUS", "TRANSPORT", "RUNS", "FOUND IN"]);
        for entry in &found.found {
            table.row(vec![
                entry.name.as_str().into(),
                if entry.new { "new" } else { "known" }.into(),
                entry.transport.as_str().into(),
                one_line(&entry.target, 60).into(),
                entry.evidence.display().to_string().into(),
            ]);
        }
        print!("{}", table.render(output::colour()));
        println!("\nDiscovered backends start disabled: `ocimcpctl enable NAME` turns one on.");
    }
    for note in &found.notes {
        println!("note: {note}");
    }
    Ok(())
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The daemon's own validation, by the `ocimcpd` executable (`ocimcpd --check-config`):
/// no running daemon needed. Its output is relayed as it is, and its exit status is ours.
fn check_config(path: Option<PathBuf>, json: bool) -> Result<(), Failure> {
    let ocimcpd = daemon_exe::find().map_err(|e| Failure::Failed(e.to_string()))?;
    let mut command = std::process::Command::new(&ocimcpd);
    command.arg("--check-config");
    if let Some(path) = path {
        command.arg("--config").arg(path);
    }
    if json {
        command.arg("--json");
    }
    let status = command
        .status()
        .map_err(|e| Failure::Failed(format!("cannot run {}: {e}", ocimcpd.display())))?;
    if status.success() {
        return Ok(());
    }
    match status.code() {
        Some(code) => Err(Failure::Exited(u8::try_from(code).unwrap_or(1))),
        None => Err(Failure::Failed(format!(
            "{} --check-config was killed by signal {}",
            ocimcpd.display(),
            status.signal().unwrap_or_default()
        ))),
    }
}

/// The snippet for a desktop client's MCP settings, on stdout; where it goes, on stderr.
fn desktop_config(client: DesktopClient, cli: &Cli) -> Result<(), Failure> {
    let exe = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .map_err(|e| Failure::Failed(format!("cannot tell where ocimcpctl is installed: {e}")))?;
    let mut args = Vec::new();
    if let Some(socket) = &cli.socket {
        args.push("--socket".to_owned());
        args.push(socket.display().to_string());
    } else if let Some(dir) = &cli.runtime_dir {
        args.push("--runtime-dir".to_owned());
        args.push(dir.display().to_string());
    }
    args.push("bridge".to_owned());
    let mut server = json!({ "command": exe.display().to_string(), "args": args });
    let place = match client {
        DesktopClient::Claude => {
            "Claude Desktop: Settings → Developer → Edit Config (claude_desktop_config.json)"
        }
        DesktopClient::Cursor => "Cursor: ~/.cursor/mcp.json, or .cursor/mcp.json in a project",
        DesktopClient::Cline => {
            if let Value::Object(map) = &mut server {
                map.insert("disabled".to_owned(), Value::Bool(false));
                map.insert("autoApprove".to_owned(), json!([]));
            }
            "Cline: MCP Servers → Configure MCP Servers (cline_mcp_settings.json)"
        }
    };
    eprintln!("Add this to {place}:");
    print_json(&json!({ "mcpServers": { "ocimcp": server } }));
    Ok(())
}
