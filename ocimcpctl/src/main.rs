//! `ocimcpctl`: control a running ocimcpd over its admin socket, and bridge desktop MCP
//! clients (stdio) to its MCP socket or to a remote gateway. It shares the protocol's types
//! with the daemon through `ocimcp-proto` and never links the daemon itself.
//!
//! - [`cli`]: the command line (also the source of completions and the man page).
//! - [`admin`]: the admin socket client.
//! - [`commands`]: one function per command, printing for people or as JSON.
//! - [`daemon_exe`]: finding the `ocimcpd` executable, which `check-config` runs.
//! - [`line_socket`]: newline-delimited JSON over the daemon's sockets.
//! - [`mcp`]: a minimal MCP client over the MCP socket, for `call`.
//! - [`bridge`]: stdio ↔ the daemon's MCP socket (reconnecting), or ↔ a remote gateway.
//! - [`output`]: tables and colours.
//! - [`trust`]: checking a socket's folder and the process answering before talking.

mod admin;
mod bridge;
mod cli;
mod commands;
mod daemon_exe;
mod line_socket;
mod mcp;
mod output;
mod trust;

use std::process::ExitCode;

use clap::Parser;

/// How a command failed, and the exit status that says so.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Exit 1: the command ran and did not succeed.
    #[error("{0}")]
    Failed(String),
    /// Exit 3: no daemon answered on the socket.
    #[error("{0}")]
    Unreachable(String),
    /// Exit with this status: a program the command ran (`ocimcpd --check-config`) failed
    /// and has already said why on our stdout and stderr.
    #[error("exited with status {0}")]
    Exited(u8),
}

impl Failure {
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Failed(_) => 1,
            Failure::Unreachable(_) => 3,
            Failure::Exited(code) => *code,
        }
    }
}

fn main() -> ExitCode {
    // clap exits 2 on usage errors, 0 for --help and --version.
    let cli = cli::Cli::parse();
    // rustls+ring, the one TLS stack (for `bridge --url https://...`). Err only means a
    // provider is already installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ocimcpctl: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !matches!(failure, Failure::Exited(_)) {
                eprintln!("ocimcpctl: {failure}");
            }
            ExitCode::from(failure.exit_code())
        }
    }
}
