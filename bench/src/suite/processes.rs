//! The processes a benchmark run starts: the gateway (`ocimcpd` on a config written to a
//! temp dir), the echo backends served directly, and the peer proxies. Each is a
//! [`Server`]: killed (with its process group) when dropped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context;
use ocimcp_bench::client::{Connection, Endpoint, RequestTemplate};
use tokio::process::{Child, Command};

/// Where the programs are.
#[derive(Debug, Clone)]
pub struct Programs {
    pub ocimcpd: PathBuf,
    pub echo_backend: PathBuf,
    pub mcp_load: PathBuf,
    /// The Python that has FastMCP (the fastmcp venv's).
    pub python: PathBuf,
    /// `bench/python`: the FastMCP echo server and proxy scripts.
    pub scripts: PathBuf,
    /// The `mcp-proxy` executable (its own venv); without it mcp-proxy is not measured.
    pub mcp_proxy: Option<PathBuf>,
}

impl Programs {
    pub fn rust_backend(&self, tools: usize) -> Vec<String> {
        let mut command = vec![self.echo_backend.display().to_string()];
        if tools > 0 {
            command.extend(["--tools".to_owned(), tools.to_string()]);
        }
        command
    }

    pub fn python_backend(&self) -> Vec<String> {
        vec![
            self.python.display().to_string(),
            self.scripts.join("echo_server.py").display().to_string(),
        ]
    }
}

/// A running server and how to reach it.
pub struct Server {
    pub name: String,
    pub endpoint: Endpoint,
    /// The tool the loads call, as this server names it (an echo, or `oci_list_domains`).
    pub tool: String,
    /// Its arguments, when not the echo's `{"message": ...}`.
    pub arguments: Option<serde_json::Value>,
    child: Child,
    /// Kept for the server's lifetime (config, sockets, logs).
    pub dir: Option<tempfile::TempDir>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub fn url(&self) -> String {
        format!("http://{}{}", self.endpoint.authority, self.endpoint.path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // Its own process group: the proxies' and the gateway's backends go with it.
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// A free loopback port (bound and released; the server binds it a moment later).
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// One `[[backends]]` entry of a gateway config, or a `backends.d` file.
pub fn backend_toml(name: &str, command: &[String]) -> String {
    let quoted: Vec<String> = command.iter().map(|part| toml_string(part)).collect();
    format!(
        "name = {}\ncommand = {}\nargs = [{}]\n",
        toml_string(name),
        quoted[0],
        quoted[1..].join(", ")
    )
}

fn toml_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Whether the gateway serves its built-in OCI tool set (in process).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    /// `[builtin] oci = false`: the gateway path to stdio backends is what is measured.
    Off,
    /// `[builtin] oci = true`, with credentials that fail at once and locally (see
    /// [`spawn_builtin_gateway`]).
    Oci,
}

/// Where the OCI credential search and the OCI services point in the built-in scenario: a
/// closed loopback port, so nothing can reach the network or the metadata service at
/// 169.254.169.254, and a refused connection fails at once.
const NOWHERE: &str = "http://127.0.0.1:9";

/// The gateway's config for benchmarks: quiet log, sessions enough for per-connection
/// runs at concurrency 256, backends inline, and the built-in OCI tools off (the gateway
/// path is what is measured) or on, with an `[oci]` section whose credentials (an API key
/// in a config file that does not exist) fail fast without a network.
pub fn gateway_config(
    port: u16,
    dir: &Path,
    inline: &[(String, Vec<String>)],
    builtin: Builtin,
) -> String {
    let mut config = format!(
        "[daemon]\nlog_level = \"warn\"\nruntime_dir = {}\nstate_dir = {}\n\n\
         [gateway]\nlisten = \"127.0.0.1:{port}\"\nmax_sessions = 4096\nmax_sessions_per_client = 4096\n\n\
         [builtin]\noci = {}\n",
        toml_string(&dir.join("run").display().to_string()),
        toml_string(&dir.join("state").display().to_string()),
        builtin == Builtin::Oci,
    );
    if builtin == Builtin::Oci {
        config.push_str(&format!(
            "\n[oci]\nauth = \"api_key\"\nconfig_file = {}\nendpoint = {}\n",
            toml_string(&dir.join("no-oci-config").display().to_string()),
            toml_string(NOWHERE),
        ));
    }
    for (name, command) in inline {
        config.push_str("\n[[backends]]\n");
        config.push_str(&backend_toml(name, command));
        // Enough room for the loads: no backend-side queueing shapes the figures.
        config.push_str("[backends.limits]\nmax_concurrency = 512\nmax_queue = 1024\n");
    }
    config
}

/// Starts `ocimcpd` on a config written into a new temp dir (with an empty `backends.d/`
/// unless `backend_files` name some), with extra environment `env`. Returns at once:
/// the caller waits for what it measures.
pub fn spawn_gateway(
    programs: &Programs,
    name: &str,
    port: u16,
    inline: &[(String, Vec<String>)],
    backend_files: &[(String, String)],
    env: &[(&str, &Path)],
) -> anyhow::Result<Server> {
    spawn(
        programs,
        name,
        port,
        inline,
        backend_files,
        env,
        Builtin::Off,
    )
}

/// Starts `ocimcpd` with no backends and its built-in OCI tool set on; its loads call
/// `oci_list_domains` (no arguments, no OCI call). The OCI credential search stays on
/// this machine and fails at once: `[oci]` names an API key in a config file that does
/// not exist, every OCI service and the metadata service (`OCI_METADATA_BASE_URL`) are a
/// closed loopback port, the caller's `OCI_*` variables are not passed on, and `HOME` is
/// the temp dir.
pub fn spawn_builtin_gateway(programs: &Programs, name: &str, port: u16) -> anyhow::Result<Server> {
    let mut server = spawn(programs, name, port, &[], &[], &[], Builtin::Oci)?;
    server.tool = "oci_list_domains".to_owned();
    server.arguments = Some(serde_json::json!({}));
    Ok(server)
}

fn spawn(
    programs: &Programs,
    name: &str,
    port: u16,
    inline: &[(String, Vec<String>)],
    backend_files: &[(String, String)],
    env: &[(&str, &Path)],
    builtin: Builtin,
) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    // The config folder is watched: the log and the staging area live beside it.
    std::fs::create_dir_all(dir.path().join("etc/backends.d"))?;
    std::fs::write(
        dir.path().join("etc/ocimcpd.toml"),
        gateway_config(port, dir.path(), inline, builtin),
    )?;
    for (file, text) in backend_files {
        std::fs::write(dir.path().join("etc/backends.d").join(file), text)?;
    }
    let log = std::fs::File::create(dir.path().join("ocimcpd.log"))?;
    let mut command = Command::new(&programs.ocimcpd);
    command
        .arg("--config")
        .arg(dir.path().join("etc/ocimcpd.toml"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0)
        .kill_on_drop(true);
    if builtin == Builtin::Oci {
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("OCI_") {
                command.env_remove(key);
            }
        }
        command
            .env("OCI_METADATA_BASE_URL", format!("{NOWHERE}/opc/v2"))
            .env("HOME", dir.path());
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", programs.ocimcpd.display()))?;
    let tool = inline
        .first()
        .map(|(backend, _)| format!("{backend}_echo"))
        .unwrap_or_default();
    Ok(Server {
        name: name.to_owned(),
        endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}/mcp"))?,
        tool,
        arguments: None,
        child,
        dir: Some(dir),
    })
}

/// Starts a program that serves MCP over HTTP at `port` (path `/mcp`), its own process
/// group, stderr to a file in a temp dir.
pub fn spawn_http(name: &str, port: u16, command: &[String], tool: &str) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let log = std::fs::File::create(dir.path().join("server.log"))?;
    let child = Command::new(&command[0])
        .args(&command[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", command[0]))?;
    Ok(Server {
        name: name.to_owned(),
        endpoint: Endpoint::parse(&format!("http://127.0.0.1:{port}/mcp"))?,
        tool: tool.to_owned(),
        arguments: None,
        child,
        dir: Some(dir),
    })
}

/// Waits until `server` answers `tools/list` with at least `tools` tools, polling every
/// millisecond; returns when that first happened.
pub async fn wait_for_tools(
    server: &Server,
    tools: usize,
    limit: Duration,
) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + limit;
    let mut last_error = String::from("not reached yet");
    while Instant::now() < deadline {
        match count_tools(&server.endpoint).await {
            Ok(count) if count >= tools => return Ok(Instant::now()),
            Ok(count) => last_error = format!("{count} of {tools} tools listed"),
            Err(e) => last_error = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    anyhow::bail!(
        "{} ({}) did not list {tools} tools within {limit:?}: {last_error}{}",
        server.name,
        server.url(),
        server_log(server)
    )
}

/// How many tools the endpoint lists (one new session).
pub async fn count_tools(endpoint: &Endpoint) -> anyhow::Result<usize> {
    let mut connection = Connection::open(endpoint).await?;
    connection.initialize().await?;
    let result = connection
        .request::<serde_json::Value>(RequestTemplate::tools_list().with_id(1), 1)
        .await;
    connection.close_session().await;
    let result = result?;
    Ok(result
        .get("tools")
        .and_then(serde_json::Value::as_array)
        .map_or(0, Vec::len))
}

/// The tail of the server's log, for error messages.
pub fn server_log(server: &Server) -> String {
    let Some(dir) = &server.dir else {
        return String::new();
    };
    for file in ["ocimcpd.log", "server.log"] {
        if let Ok(text) = std::fs::read_to_string(dir.path().join(file)) {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            return format!("\nlast lines of its log:\n{tail}");
        }
    }
    String::new()
}
