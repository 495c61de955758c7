//! ocimcpd: the MCP gateway daemon.
pub mod config;
