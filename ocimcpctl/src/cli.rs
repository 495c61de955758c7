//! The command line, as clap definitions: parsed by `main`, and also the source of the
//! shell completions and the man page.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Control a running ocimcpd, and bridge desktop MCP clients to it.
#[derive(Debug, Parser)]
#[command(
    name = "ocimcpctl",
    version,
    about,
    after_help = "Exit status: 0 ok, 1 failed, 2 usage error, 3 daemon not reachable."
)]
pub struct Cli {
    /// The daemon's runtime directory (holds admin.sock and mcp.sock) [default:
    /// $OCIMCPD_RUNTIME_DIR, else /run/ocimcpd as root, else $XDG_RUNTIME_DIR/ocimcpd]
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "socket")]
    pub runtime_dir: Option<PathBuf>,

    /// The admin socket itself; the MCP socket is mcp.sock in the same folder
    #[arg(long, global = true, value_name = "PATH")]
    pub socket: Option<PathBuf>,

    /// Print results as JSON, for scripts
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The daemon and every backend, one line each
    Status,
    /// Backends: state, transport, tools, restarts, last error
    List,
    /// One backend in detail
    Show(Name),
    /// Enable a backend persistently (kept across daemon restarts) and start it
    Enable(Wait),
    /// Disable a backend persistently and stop it
    Disable(Name),
    /// Start a stopped or failed backend now
    Start(Wait),
    /// Stop a backend now (it starts again with the daemon)
    Stop(Name),
    /// Stop and start a backend: a fresh process and connection
    Restart(Wait),
    /// Re-read the configuration (same as SIGHUP); nothing changes if any of it is invalid
    Reload,
    /// The daemon's log, or a backend's stderr
    Logs(LogsArgs),
    /// The aggregated tool catalog, as MCP clients see it
    Tools {
        /// Only this backend's tools
        #[arg(long, value_name = "NAME")]
        backend: Option<String>,
    },
    /// Call a tool through the daemon's MCP socket
    Call(CallArgs),
    /// What the scan paths (or PATHs) would add, without adding anything
    Discover {
        /// Folders to scan instead of the configured scan paths
        paths: Vec<PathBuf>,
    },
    /// Validate a configuration without a running daemon (runs `ocimcpd --check-config`,
    /// found beside ocimcpctl or on PATH)
    CheckConfig {
        /// Config file [default: $OCIMCPD_CONFIG, else /etc/ocimcpd/ocimcpd.toml]
        path: Option<PathBuf>,
    },
    /// Relay MCP between stdin/stdout and the daemon (for desktop clients)
    Bridge(BridgeArgs),
    /// Bearer tokens for the HTTP endpoint ([[auth.tokens]])
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the JSON to add to a desktop client's MCP configuration
    DesktopConfig {
        #[arg(long, value_enum, default_value_t = DesktopClient::Claude)]
        client: DesktopClient,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), for packaging
    #[command(hide = true)]
    Manpage,
}

#[derive(Debug, Args)]
pub struct Name {
    /// Backend name (see `ocimcpctl list`)
    pub name: String,
}

#[derive(Debug, Args)]
pub struct Wait {
    /// Backend name (see `ocimcpctl list`)
    pub name: String,
    /// Return at once instead of waiting for the backend to become ready or fail
    #[arg(long)]
    pub no_wait: bool,
    /// Longest wait for the backend to become ready or fail, in seconds
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// A backend's stderr instead of the daemon's log
    pub name: Option<String>,
    /// Keep printing new lines until interrupted
    #[arg(short, long)]
    pub follow: bool,
    /// How many past lines to print
    #[arg(short = 'n', long, default_value_t = 50, value_name = "N")]
    pub lines: usize,
}

#[derive(Debug, Args)]
pub struct CallArgs {
    /// The tool's name as clients see it (see `ocimcpctl tools`)
    pub tool: String,
    /// An argument; VALUE is read as JSON when it parses (42, true, [1,2]), else as text
    #[arg(long = "arg", value_name = "KEY=VALUE")]
    pub args: Vec<String>,
    /// All arguments as one JSON object (--arg entries are added to it)
    #[arg(long, value_name = "JSON")]
    pub json_args: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Read a token on stdin and print the `hash` to put in [[auth.tokens]]
    Hash,
}

#[derive(Debug, Args)]
pub struct BridgeArgs {
    /// A remote gateway's Streamable HTTP endpoint instead of the local daemon
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// File holding a bearer token for --url (read at start, whitespace trimmed)
    #[arg(long, value_name = "FILE", requires = "url")]
    pub token_file: Option<PathBuf>,
    /// Extra header for --url, `Name: value` (repeatable)
    #[arg(long = "header", value_name = "K:V", requires = "url")]
    pub headers: Vec<String>,
    /// Send a token or headers over plain http:// to a host other than this machine
    /// (anyone on the path can read them); without it such a --url is refused
    #[arg(long, requires = "url")]
    pub allow_insecure_http: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DesktopClient {
    Claude,
    Cursor,
    Cline,
}
