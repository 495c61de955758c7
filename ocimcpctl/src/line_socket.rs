//! Newline-delimited JSON over a Unix socket: how ocimcpctl talks to both of the daemon's
//! sockets (admin protocol and MCP).

use std::path::Path;

use crate::trust::{self, ConnectError};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

pub struct LineSocket {
    lines: Lines<BufReader<OwnedReadHalf>>,
    writer: OwnedWriteHalf,
}

impl LineSocket {
    /// Connects once the socket's folder and the process answering pass
    /// [`crate::trust`]'s checks.
    pub async fn connect(path: &Path) -> Result<Self, ConnectError> {
        let (read, writer) = trust::connect(path).await?.into_split();
        Ok(Self {
            lines: BufReader::new(read).lines(),
            writer,
        })
    }

    /// Sends one message; `line` must not contain a newline.
    pub async fn send(&mut self, line: &str) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.writer.write_all(&bytes).await
    }

    /// The next message; `None` once the daemon has closed the connection.
    pub async fn next(&mut self) -> std::io::Result<Option<String>> {
        self.lines.next_line().await
    }
}
