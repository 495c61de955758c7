//! The daemon run inside the test's own process: the test binds the listeners
//! (`127.0.0.1:0`, sockets in a temp dir) and calls `ocimcpd::run`, as `main` does. What a
//! child process cannot offer, this can: settings adjusted after they are loaded (a fixed
//! clock for the OCI tools), and a stop the test controls.

use std::path::Path;
use std::sync::Arc;

use ocimcpd::LogRing;
use ocimcpd::config::{self, Builtin, ConfigPath, Settings, Transport};
use ocimcpd::{Listeners, Signals};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Lines of the daemon's own log kept in memory (`ocimcpctl logs`).
const LOG_LINES: usize = 500;

/// `ocimcpd::run` on a tokio task of the test's runtime.
pub struct InProcessDaemon {
    url: String,
    signals: Signals,
    task: Option<JoinHandle<()>>,
    pub dir: tempfile::TempDir,
}

impl InProcessDaemon {
    /// Writes `config` as [`crate::write_config`] does, with the runtime and state dirs
    /// put inside the temp dir, loads it as the daemon would, lets `adjust` change the
    /// settings, binds and runs. Panics with the config error if the config is bad.
    pub async fn start(config: &str, adjust: impl FnOnce(&mut Settings)) -> InProcessDaemon {
        ocimcpd::install_crypto_provider();
        let dir = tempfile::tempdir().expect("temp dir");
        let dir_str = dir.path().display().to_string();
        let daemon_section = if config.contains("[daemon]") {
            String::new()
        } else {
            format!(
                "\n[daemon]\nruntime_dir = \"{dir_str}/run\"\nstate_dir = \"{dir_str}/state\"\n"
            )
        };
        let path = crate::write_config(dir.path(), config, &daemon_section);
        let config_path = ConfigPath::Explicit(path);
        let mut settings = match config::load(&config_path) {
            Ok(settings) => settings,
            Err(e) => panic!("the test's config is invalid: {e}"),
        };
        adjust(&mut settings);
        let http = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = http.local_addr().expect("bound address");
        let url = format!("http://{addr}{}", settings.gateway.path);
        let listeners = Listeners::bind(&settings, http, None)
            .await
            .expect("bind the daemon's sockets");
        let signals = Signals::default();
        let daemon_log = Arc::new(LogRing::new("ocimcpd", LOG_LINES));
        let task = tokio::spawn(ocimcpd::run(
            config_path,
            settings,
            listeners,
            daemon_log,
            signals.clone(),
        ));
        InProcessDaemon {
            url,
            signals,
            task: Some(task),
            dir,
        }
    }

    /// The MCP endpoint.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The runtime dir (admin.sock, mcp.sock).
    pub fn runtime_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("run")
    }

    /// Stops the daemon as SIGTERM does and waits for `run` to return.
    pub async fn stop(mut self) {
        self.signals.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("ocimcpd::run panicked");
        }
    }
}

impl Drop for InProcessDaemon {
    fn drop(&mut self) {
        // Not stopped by the test: stop now, without waiting for anything.
        self.signals.shutdown.cancel();
        self.signals.force.cancel();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Sets the clock of the built-in OCI tool set; panics if the settings have none. A
/// reload would read the config again and bring back the system clock: tests that fix the
/// clock do not reload.
pub fn fix_oci_clock(settings: &mut Settings, clock: oci_tools::Clock) {
    let mut fixed = 0;
    for backend in &mut settings.backends {
        if let Transport::InProcess(Builtin::Oci(oci)) = &mut backend.transport {
            oci.clock = clock;
            fixed += 1;
        }
    }
    assert_eq!(
        fixed, 1,
        "the config must turn on the built-in OCI tools (`[builtin] oci = true`)"
    );
}

/// Whether `path` is a socket that accepts connections.
pub fn socket_answers(path: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(path).is_ok()
}
