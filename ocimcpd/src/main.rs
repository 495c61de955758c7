//! `ocimcpd`: parse flags, load the config, bind, run until SIGTERM/SIGINT (SIGHUP
//! reloads).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use ocimcpd::LogRing;
use ocimcpd::config::{self, ConfigPath, ConfigSource, Settings};
use ocimcpd::{Listeners, Signals};
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

/// MCP gateway daemon for Oracle Cloud: supervises MCP servers and serves them behind one
/// endpoint.
#[derive(Debug, Parser)]
#[command(name = "ocimcpd", version, about)]
struct Args {
    /// Config file [default: $OCIMCPD_CONFIG, else /etc/ocimcpd/ocimcpd.toml; with no file
    /// there, the embedded default]
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Validate the configuration (config file and backends.d/) and exit: 0 valid, 1 not.
    #[arg(long, conflicts_with = "print_default_config")]
    check_config: bool,

    /// With --check-config: print the outcome as JSON on stdout (`ocimcpctl --json
    /// check-config` passes it).
    #[arg(long, requires = "check_config")]
    json: bool,

    /// Print the embedded default configuration and exit.
    #[arg(long)]
    print_default_config: bool,
}

fn main() -> ExitCode {
    ocimcpd::install_crypto_provider();
    let args = Args::parse();
    if args.print_default_config {
        print!("{}", config::DEFAULT_CONFIG);
        return ExitCode::SUCCESS;
    }
    let config_path = ConfigPath::resolve(args.config);
    let settings = match config::load(&config_path) {
        Ok(settings) => settings,
        Err(error) => {
            if args.json {
                let issues: Vec<String> = error.issues.iter().map(ToString::to_string).collect();
                print_json(&json!({ "valid": false, "errors": issues }));
            }
            eprintln!("ocimcpd: invalid configuration:\n{error}");
            return ExitCode::FAILURE;
        }
    };
    if args.check_config {
        return check_config(&settings, args.json);
    }
    let daemon_log = ocimcpd::logging::init(&settings.daemon);
    match ocimcpd::nofile::raise() {
        Ok(raised) if raised.now > raised.before => tracing::info!(
            "open-file limit raised from {} to {}",
            raised.before,
            raised.now
        ),
        Ok(raised) => tracing::debug!("open-file limit is {}", raised.now),
        Err(e) => tracing::warn!("cannot raise the open-file limit: {e}"),
    }
    // Before any backend starts: whatever a backend leaves behind stays the daemon's
    // descendant, so the admin socket can refuse it, and is reaped by the daemon.
    if let Err(error) = ocimcpd::become_subreaper() {
        tracing::warn!(
            "cannot become the child subreaper ({error}): orphans of backends go to init, and the admin socket cannot recognise them as backends"
        );
    }
    // Before any thread starts: the sockets systemd passed, if it did.
    let activated = match ocimcpd::systemd::Activated::take() {
        Ok(activated) => activated,
        Err(error) => {
            tracing::error!("socket activation: {error}");
            eprintln!("ocimcpd: socket activation: {error}");
            return ExitCode::FAILURE;
        }
    };
    match serve(config_path, settings, activated, daemon_log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("ocimcpd: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Reports a configuration that loaded: for people, or (`json`) as the object `ocimcpctl
/// --json check-config` prints.
fn check_config(settings: &Settings, json: bool) -> ExitCode {
    let enabled = settings.backends.iter().filter(|b| b.enabled).count();
    if json {
        let warnings: Vec<String> = settings.warnings.iter().map(ToString::to_string).collect();
        print_json(&json!({
            "valid": true,
            "source": settings.source.to_string(),
            "backends": settings.backends.len(),
            "enabled": enabled,
            "warnings": warnings,
        }));
        return ExitCode::SUCCESS;
    }
    for warning in &settings.warnings {
        eprintln!("warning: {warning}");
    }
    println!(
        "configuration OK ({}): {} backend(s), {} enabled; MCP endpoint http://{}{}",
        settings.source,
        settings.backends.len(),
        enabled,
        settings.gateway.listen,
        settings.gateway.path
    );
    ExitCode::SUCCESS
}

fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("ocimcpd: encoding JSON: {e}"),
    }
}

fn serve(
    config_path: ConfigPath,
    settings: Settings,
    activated: ocimcpd::systemd::Activated,
    daemon_log: Arc<LogRing>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(settings.daemon.worker_threads)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        for warning in &settings.warnings {
            tracing::warn!("config: {warning}");
        }
        if let ConfigSource::Embedded { would_be } = &settings.source {
            tracing::info!("no config file at {}; running the embedded default", would_be.display());
        }
        let addr = settings.gateway.listen;
        let http = match activated.http {
            Some(passed) => {
                tracing::info!("HTTP socket passed by the service manager (socket activation); [gateway] listen is not used");
                tokio::net::TcpListener::from_std(passed).context("the passed HTTP socket")?
            }
            None => tokio::net::TcpListener::bind(addr).await.with_context(|| {
                format!("cannot listen on {addr}: is another ocimcpd (or other program) using it? Change [gateway] listen")
            })?,
        };
        let mcp = match activated.mcp {
            Some(passed) => Some(
                tokio::net::UnixListener::from_std(passed).context("the passed mcp.sock")?,
            ),
            None => None,
        };
        let listeners = Listeners::bind(&settings, http, mcp).await?;
        tracing::info!(
            "ocimcpd {} serving MCP on http://{}{} and {} ({} backend(s) configured, from {})",
            env!("CARGO_PKG_VERSION"),
            listeners.http.local_addr().unwrap_or(addr),
            settings.gateway.path,
            settings.daemon.runtime_dir.join(ocimcp_proto::paths::MCP_SOCKET).display(),
            settings.backends.len(),
            settings.source
        );
        let signals = Signals::default();
        watch_signals(&signals)?;
        ocimcpd::run(config_path, settings, listeners, daemon_log, signals).await;
        tracing::info!("ocimcpd stopped");
        Ok(())
    })
}

/// SIGTERM or SIGINT starts a graceful shutdown; a second one stops without waiting for
/// backends (their process groups are killed). SIGHUP re-reads the configuration.
fn watch_signals(signals: &Signals) -> anyhow::Result<()> {
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut hup = signal(SignalKind::hangup()).context("installing the SIGHUP handler")?;
    let Signals {
        shutdown,
        force,
        reload,
    } = signals.clone();
    tokio::spawn(async move {
        loop {
            let name = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = hup.recv() => {
                    reload.notify_one();
                    continue;
                }
            };
            if shutdown.is_cancelled() {
                tracing::warn!("{name} again: not waiting for backends");
                force.cancel();
                continue;
            }
            tracing::info!("{name} received: shutting down");
            shutdown.cancel();
        }
    });
    Ok(())
}
