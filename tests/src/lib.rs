//! End-to-end test harness: runs the real `ocimcpd` binary with a config written by the
//! test, talks to it with real MCP clients (rmcp, and the Python SDK from the bootstrap
//! venvs), and inspects real processes through /proc. [`fake_oci`] stands in for OCI,
//! which cannot run here. [`in_process`] runs `ocimcpd::run` inside the test's process,
//! on listeners the test binds, where settings can be adjusted after loading (a fixed
//! clock for the OCI tools). Tests send traffic only to loopback addresses.
//!
//! Python venvs come from `tests/bootstrap.sh` (run by `tests/run-all.sh`); a missing venv
//! fails the test with a message saying so.

pub mod fake_oci;
pub mod in_process;
pub mod oci_gateway;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation,
    ProtocolVersion,
};
use rmcp::service::{
    ClientLifecycleMode, RoleClient, RunningService, serve_client, serve_client_with_lifecycle,
};
use rmcp::transport::StreamableHttpClientTransport;
use serde_json::Value;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// `tests/fixtures/...`
pub fn fixture(path: &str) -> PathBuf {
    root().join("tests/fixtures").join(path)
}

/// Where `tests/bootstrap.sh` puts what it installs.
pub fn cache() -> PathBuf {
    std::env::var_os("OCIMCP_TEST_CACHE").map_or_else(|| root().join(".cache"), PathBuf::from)
}

/// A venv built by `tests/bootstrap.sh` (`mcp` or `fastmcp`).
pub fn venv(name: &str) -> PathBuf {
    let venv = cache().join("venvs").join(name);
    assert!(
        venv.join("bin/python").exists(),
        "venv {} is missing: run tests/bootstrap.sh (tests/run-all.sh does it)",
        venv.display()
    );
    venv
}

/// A binary of this workspace, next to the test executable. Cargo rebuilds it for
/// `cargo test --workspace` / `cargo nextest run --workspace` (its crate has integration
/// tests), but not when only this crate is tested; a binary older than its crate's sources
/// fails the test rather than testing stale code.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join(name);
    let built = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is not built: run `cargo build -p {name}`, or test the whole workspace",
                path.display()
            )
        });
    let crate_dir = root().join(name);
    if let Some(source) = newest_source(&crate_dir)
        && source > built
    {
        panic!(
            "{} is older than its sources in {}: run `cargo build -p {name}`, or test the whole workspace",
            path.display(),
            crate_dir.display()
        );
    }
    path
}

/// The newest modification time of the `.rs` and `.toml` files under `dir`.
fn newest_source(dir: &Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "toml")
                && let Ok(modified) = entry.metadata().and_then(|m| m.modified())
            {
                newest = newest.max(Some(modified));
            }
        }
    }
    newest
}

/// A `backends.d` file for the backend of `fixtures/python/faulty_server.py` behaving
/// well (tools `<name>_echo`, ...), run by the system's `python3`.
pub fn faulty_backend() -> String {
    format!(
        "command = \"python3\"\nargs = [\"{}\"]\n",
        fixture("python/faulty_server.py").display()
    )
}

/// Installs ring as the rustls provider, as the daemon does (reqwest needs one).
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A running `ocimcpd`. Stopped with SIGTERM (SIGKILL if that fails) on drop; its log is
/// printed if the test is failing.
pub struct Daemon {
    child: Child,
    addr: String,
    path: String,
    log: Arc<Mutex<Vec<String>>>,
    env: Vec<(String, String)>,
    /// A program (and its arguments) that runs `ocimcpd`, e.g. `setpriv` with options.
    wrapper: Vec<String>,
    pub dir: tempfile::TempDir,
}

/// Writes `config` to `dir/ocimcpd.toml` with `{dir}` replaced by `dir`, then `extra`, and
/// creates an empty `dir/backends.d`. The built-in OCI tools run only where a test asks
/// for them (`[builtin]`), so other tests see only their own backends and no credential
/// search looks for an instance metadata service. Returns the config's path.
pub fn write_config(dir: &Path, config: &str, extra: &str) -> PathBuf {
    let builtin_off = if config.contains("[builtin]") {
        ""
    } else {
        "\n[builtin]\noci = false\n"
    };
    let path = dir.join("ocimcpd.toml");
    let text = config.replace("{dir}", &dir.display().to_string());
    std::fs::write(&path, format!("{text}{builtin_off}{extra}")).expect("write config");
    std::fs::create_dir_all(dir.join("backends.d")).expect("backends.d");
    path
}

impl Daemon {
    /// Writes `config` (with `{dir}` replaced by the temp dir) and starts the daemon on it.
    /// The config should listen on `127.0.0.1:0`; the bound address is read from the log.
    pub fn start(config: &str) -> Daemon {
        Self::start_with(config, &[], &[])
    }

    /// Like [`Daemon::start`], with backend files to place in `{dir}/backends.d` and extra
    /// environment for the daemon.
    pub fn start_with(
        config: &str,
        backend_files: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Daemon {
        Self::start_wrapped(&[], config, backend_files, env)
    }

    /// Like [`Daemon::start_with`], the daemon starting with the open-file limit
    /// `(soft, hard)` (what a service manager would give it): a shell sets it, then becomes
    /// the daemon.
    pub fn start_with_nofile(
        config: &str,
        backend_files: &[(&str, &str)],
        nofile: (u64, u64),
    ) -> Daemon {
        let (soft, hard) = nofile;
        let script = format!("ulimit -Sn {soft} && ulimit -Hn {hard} && exec \"$0\" \"$@\"");
        Self::start_wrapped(&["sh", "-c", &script], config, backend_files, &[])
    }

    /// Like [`Daemon::start_with`], with `ocimcpd` run by `wrapper` (a program that execs
    /// its last argument, such as `setpriv --bounding-set=-all`), so the pid stays the
    /// daemon's.
    pub fn start_wrapped(
        wrapper: &[&str],
        config: &str,
        backend_files: &[(&str, &str)],
        env: &[(&str, &str)],
    ) -> Daemon {
        init();
        let dir = tempfile::tempdir().expect("temp dir");
        let dir_str = dir.path().display().to_string();
        write_config(dir.path(), config, "");
        for (name, text) in backend_files {
            std::fs::write(
                dir.path().join("backends.d").join(name),
                text.replace("{dir}", &dir_str),
            )
            .expect("write backend file");
        }
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let wrapper = wrapper.iter().map(|w| (*w).to_owned()).collect();
        Self::launch(dir, env, wrapper)
    }

    /// Starts `ocimcpd` on `dir/ocimcpd.toml`, with its runtime dir (sockets) in `dir/run`
    /// and its state dir in `dir/state`.
    fn launch(dir: tempfile::TempDir, env: Vec<(String, String)>, wrapper: Vec<String>) -> Daemon {
        let mut command = match wrapper.split_first() {
            None => Command::new(binary("ocimcpd")),
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(binary("ocimcpd"));
                command
            }
        };
        command
            .arg("--config")
            .arg(dir.path().join("ocimcpd.toml"))
            .env_remove("RUST_LOG")
            .env("OCIMCPD_RUNTIME_DIR", dir.path().join("run"))
            .env("OCIMCPD_STATE_DIR", dir.path().join("state"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in &env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("spawn ocimcpd");
        let stderr = child.stderr.take().expect("piped stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (found_tx, found_rx) = mpsc::channel();
        let thread_log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.split("serving MCP on http://").nth(1) {
                    let url = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    let _ = found_tx.send(url);
                }
                thread_log
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(line);
            }
        });
        let url = match found_rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "ocimcpd did not start serving; log:\n{}",
                    log.lock().unwrap_or_else(|e| e.into_inner()).join("\n")
                );
            }
        };
        let (addr, path) = url
            .split_once('/')
            .map(|(a, p)| (a.to_owned(), format!("/{p}")))
            .expect("address/path");
        Daemon {
            child,
            addr,
            path,
            log,
            env,
            wrapper,
            dir,
        }
    }

    /// Stops the daemon gracefully and starts it again on the same folder (config, state,
    /// runtime dir). The HTTP port may change if the config asks for port 0.
    pub fn restart(mut self) -> Daemon {
        self.stop();
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let env = std::mem::take(&mut self.env);
        let wrapper = std::mem::take(&mut self.wrapper);
        drop(self);
        Self::launch(dir, env, wrapper)
    }

    /// SIGTERM, then SIGKILL if it is still running after 15 s.
    pub fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid()),
                nix::sys::signal::Signal::SIGTERM,
            );
            if self.wait_exit(Duration::from_secs(15)).is_none() {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }

    /// The daemon's runtime dir (`admin.sock`, `mcp.sock`).
    pub fn runtime_dir(&self) -> PathBuf {
        self.dir.path().join("run")
    }

    /// The MCP endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }

    /// `http://host:port` + `path`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Everything the daemon logged so far.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .join("\n")
    }

    /// Polls `/readyz` until it answers 200.
    pub async fn wait_ready(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let client = reqwest::Client::new();
        loop {
            if let Ok(response) = client.get(self.http_url("/readyz")).send().await
                && response.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "daemon not ready within {limit:?}; log:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid()), signal)
            .expect("signal daemon");
    }

    /// Waits for the daemon to exit; `None` if it is still running after `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- ocimcpd log ----\n{}\n---- end of log ----",
                self.log()
            );
        }
        // Gracefully, so backends' process groups (grandchildren too) are stopped.
        self.stop();
    }
}

/// An rmcp client speaking a given protocol version.
#[derive(Debug, Clone)]
pub struct TestClient {
    info: ClientConfig,
}

impl rmcp::ClientHandler for TestClient {
    fn get_info(&self) -> ClientConfig {
        self.info.clone()
    }
}

pub type Client = RunningService<RoleClient, TestClient>;

/// Connects with the `initialize` handshake, asking for `version`.
pub async fn connect(url: &str, version: ProtocolVersion) -> Client {
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("ocimcp-tests", "1"),
    )
    .with_protocol_version(version);
    connect_with(url, TestClient { info }).await
}

/// Connects a client with its own handler (to sample, watch notifications, ...), with the
/// `initialize` handshake.
pub async fn connect_with<H: rmcp::ClientHandler>(
    url: &str,
    handler: H,
) -> RunningService<RoleClient, H> {
    init();
    serve_client(
        handler,
        StreamableHttpClientTransport::from_uri(url.to_owned()),
    )
    .await
    .expect("connect to the gateway")
}

/// Connects with the `initialize` handshake, sending `Authorization: Bearer <token>`.
pub async fn connect_with_token(url: &str, token: &str) -> Client {
    init();
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("ocimcp-tests", "1"),
    );
    let config =
        rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig::with_uri(
            url.to_owned(),
        )
        .auth_header(token.to_owned());
    serve_client(
        TestClient { info },
        StreamableHttpClientTransport::from_config(config),
    )
    .await
    .expect("connect to the gateway with a token")
}

/// Connects the 2026-07-28 way: `server/discover`, no session.
pub async fn connect_discover(url: &str) -> Client {
    init();
    let info = ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("ocimcp-tests", "1"),
    );
    let lifecycle = ClientLifecycleMode::Discover {
        preferred_versions: vec![ProtocolVersion::V_2026_07_28],
    };
    serve_client_with_lifecycle(
        TestClient { info },
        StreamableHttpClientTransport::from_uri(url),
        lifecycle,
    )
    .await
    .expect("discover the gateway")
}

/// Calls a tool; `Err` carries the JSON-RPC error message.
pub async fn call(client: &Client, name: &str, arguments: Value) -> Result<CallToolResult, String> {
    let mut params = CallToolRequestParams::new(name.to_owned());
    if let Value::Object(map) = arguments {
        params = params.with_arguments(map);
    }
    client
        .peer()
        .call_tool(params)
        .await
        .map_err(|e| e.to_string())
}

/// Calls a tool that must succeed; returns its first text block.
pub async fn call_text(client: &Client, name: &str, arguments: Value) -> String {
    let result = call(client, name, arguments)
        .await
        .unwrap_or_else(|e| panic!("{name} failed: {e}"));
    text(&result)
}

/// Calls a tool until it succeeds (a backend coming back), for at most `limit`.
pub async fn call_until_ok(
    client: &Client,
    name: &str,
    arguments: Value,
    limit: Duration,
) -> CallToolResult {
    let deadline = Instant::now() + limit;
    loop {
        match call(client, name, arguments.clone()).await {
            Ok(result) => return result,
            Err(e) => assert!(
                Instant::now() < deadline,
                "{name} did not succeed within {limit:?}: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first text block of a result.
pub fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .find_map(|c| c.as_text().map(|t| t.text.clone()))
        .unwrap_or_default()
}

/// `gateway_health`, parsed.
pub async fn health(client: &Client) -> Value {
    let result = call(client, "gateway_health", Value::Object(Default::default()))
        .await
        .expect("gateway_health");
    serde_json::from_str(&text(&result)).expect("gateway_health returns JSON")
}

/// One backend's entry in `gateway_health`.
pub fn backend<'a>(health: &'a Value, name: &str) -> &'a Value {
    health["backends"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == name))
        .unwrap_or_else(|| panic!("no backend {name} in {health}"))
}

/// Runs the Python SDK client (`fixtures/python/mcp_client.py`) against `url`; `mode` is
/// `auto` (2026-07-28 discover) or `legacy` (initialize). Returns its JSON report.
pub fn python_client(url: &str, mode: &str, calls: &Value) -> Value {
    let output = Command::new(venv("mcp").join("bin/python"))
        .arg(fixture("python/mcp_client.py"))
        .args([url, mode, &calls.to_string()])
        .output()
        .expect("run the Python MCP client");
    assert!(
        output.status.success(),
        "Python client ({mode}) failed: {}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("Python client printed no JSON ({e}): {stdout}"))
}

/// A remote Streamable HTTP MCP server (Python) requiring `Authorization: Bearer <token>`.
pub struct RemoteServer {
    child: Child,
    pub url: String,
    pub port: u16,
}

impl RemoteServer {
    /// On a free port.
    pub fn start(token: &str) -> RemoteServer {
        Self::start_on(token, 0)
    }

    /// On `port` (0: a free one), e.g. to bring a server back where it was.
    pub fn start_on(token: &str, port: u16) -> RemoteServer {
        let mut child = Command::new(venv("mcp").join("bin/python"))
            .arg(fixture("python/remote_server.py"))
            .arg(token)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the remote MCP server");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the remote server's port");
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("remote server printed no port: {line:?}"));
        RemoteServer {
            child,
            url: format!("http://127.0.0.1:{port}/mcp"),
            port,
        }
    }
}

impl Drop for RemoteServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True if `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                != Some("Z")
        }
        Err(_) => false,
    }
}

/// Live (non-zombie) processes whose process group is `pgid`.
pub fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                return false;
            };
            // Fields after the command: state ppid pgrp ...
            let Some((_, rest)) = stat.rsplit_once(')') else {
                return false;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields.first() != Some(&"Z")
                && fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
        })
        .collect()
}

/// Waits until `condition` holds, polling; panics with `what` after `limit`.
pub async fn eventually<F: FnMut() -> bool>(limit: Duration, what: &str, mut condition: F) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Serves an MCP server over Streamable HTTP at `/mcp` on `addr` (sessions on; one
/// handler per session from `factory`), printing the bound address on stdout. For test
/// backends that the gateway reaches as `streamable_http`.
pub async fn serve_http_backend<S, F>(addr: &str, factory: F) -> anyhow::Result<()>
where
    S: rmcp::ServerHandler + Send + 'static,
    F: Fn() -> S + Send + Sync + 'static,
{
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService,
    };

    let listener = tokio::net::TcpListener::bind(addr).await?;
    let service = StreamableHttpService::new(
        move || Ok(factory()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    println!("{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let _ = builder
                .serve_connection_with_upgrades(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// What one `ocimcpctl` run did.
#[derive(Debug)]
pub struct CtlOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl CtlOutput {
    /// stdout as JSON (for `--json` runs).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("ocimcpctl printed no JSON ({e}): {self:?}"))
    }
}

/// Runs `ocimcpctl --runtime-dir DIR ARGS...` and waits for it.
pub fn ctl_in(runtime_dir: &Path, args: &[&str]) -> CtlOutput {
    let output = Command::new(binary("ocimcpctl"))
        .arg("--runtime-dir")
        .arg(runtime_dir)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run ocimcpctl");
    CtlOutput {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

impl Daemon {
    /// `ocimcpctl` against this daemon.
    pub fn ctl(&self, args: &[&str]) -> CtlOutput {
        ctl_in(&self.runtime_dir(), args)
    }

    /// `ocimcpctl --json ARGS` against this daemon; must succeed.
    pub fn ctl_json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ctl(&all);
        assert_eq!(out.code, 0, "ocimcpctl {args:?} failed: {out:?}");
        out.json()
    }

    /// A backend's entry in `ocimcpctl list --json`.
    pub fn listed(&self, name: &str) -> Option<Value> {
        self.ctl_json(&["list"])["backends"]
            .as_array()
            .and_then(|all| all.iter().find(|b| b["name"] == name).cloned())
    }
}

/// A client handler that reports each `notifications/tools/list_changed` on a channel.
#[derive(Clone)]
pub struct ToolListWatcher {
    pub changes: tokio::sync::mpsc::UnboundedSender<()>,
}

impl rmcp::ClientHandler for ToolListWatcher {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("watcher", "1"),
        )
    }

    async fn on_tool_list_changed(&self, _context: rmcp::service::NotificationContext<RoleClient>) {
        let _ = self.changes.send(());
    }
}
