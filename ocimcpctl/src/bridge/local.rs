//! The bridge to the daemon's MCP socket. When the connection drops (the daemon
//! restarted), requests in flight are answered with an error, the bridge reconnects with
//! backoff, replays the client's `initialize` and `notifications/initialized` (swallowing
//! the answer: the client already has one), and carries on. Messages the client sends
//! meanwhile wait in order. The client's pipe stays open throughout.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{Kind, Session, error_line, kind};
use crate::Failure;
use crate::line_socket::LineSocket;
use crate::trust::ConnectError;

const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long client requests wait for a daemon that is down before they are answered with
/// an error (the bridge keeps trying to reconnect).
const GIVE_UP_WAITING: Duration = Duration::from_secs(30);

pub async fn run(
    socket: &Path,
    mut stdin: mpsc::Receiver<String>,
    stdout: mpsc::UnboundedSender<String>,
) -> Result<(), Failure> {
    let mut session = Session::default();
    // Client messages not yet sent, while the daemon is unreachable.
    let mut queue: VecDeque<String> = VecDeque::new();
    // Ids of replayed `initialize` requests, whose answers the client must not see.
    let mut replays: HashSet<String> = HashSet::new();
    let mut connection: Option<LineSocket> = None;
    let mut delay = BACKOFF_MIN;
    // No reconnecting before this (a daemon that accepts and closes at once, while it
    // shuts down, must not be hammered).
    let mut next_attempt = Instant::now();
    let mut down_since: Option<Instant> = None;
    let mut told_down = false;
    loop {
        if connection.is_none() && Instant::now() >= next_attempt {
            match LineSocket::connect(socket).await {
                Ok(mut conn) => {
                    if told_down {
                        eprintln!("ocimcpctl bridge: connected to {}", socket.display());
                    }
                    match replay(&mut conn, &mut session, &mut replays, &mut queue).await {
                        Ok(()) => {
                            connection = Some(conn);
                            down_since = None;
                            told_down = false;
                        }
                        Err(_) => {
                            // Closed at once: keep the connection to read why (a refusal),
                            // and back off before the next attempt.
                            connection = Some(conn);
                            next_attempt = Instant::now() + delay;
                            delay = (delay * 2).min(BACKOFF_MAX);
                        }
                    }
                }
                Err(ConnectError::Untrusted(why)) => {
                    // Not an outage: no retry makes that folder or that peer trustworthy.
                    eprintln!("ocimcpctl bridge: {why}");
                    return Err(Failure::Failed(why));
                }
                Err(e) => {
                    let since = *down_since.get_or_insert_with(Instant::now);
                    if !told_down {
                        eprintln!(
                            "ocimcpctl bridge: {}; retrying",
                            crate::admin::connect_failure(socket, &e)
                        );
                        told_down = true;
                    }
                    if since.elapsed() >= GIVE_UP_WAITING {
                        give_up_on_queued(&mut queue, &stdout, socket);
                    }
                }
            }
        }
        tokio::select! {
            line = stdin.recv() => match line {
                // The client closed its end: the session is over.
                None => return Ok(()),
                Some(line) => match connection.as_mut() {
                    Some(conn) => {
                        session.client_sent(&line);
                        if conn.send(&line).await.is_err() {
                            connection = None;
                            dropped(&mut session, &stdout);
                        }
                    }
                    None => queue.push_back(line),
                },
            },
            read = next_line(&mut connection) => match read {
                Some(line) => match from_daemon(line, &mut session, &mut replays, &stdout) {
                    // A working connection: the next outage starts from the shortest delay.
                    Ok(()) => delay = BACKOFF_MIN,
                    Err(refusal) => {
                        let why = format!("ocimcpd refused this bridge: {refusal}");
                        for error in session.fail_pending(&why) {
                            let _ = stdout.send(error);
                        }
                        for line in queue.drain(..) {
                            if let Ok(Kind::Request { id, .. }) = serde_json::from_str::<Value>(&line).map(|m| kind(&m)) {
                                let _ = stdout.send(error_line(&id, &why));
                            }
                        }
                        eprintln!("ocimcpctl bridge: {why}");
                        // No retry fixes a refusal: answer every request with it until the
                        // client gives up, so it shows the reason rather than hang.
                        while let Some(line) = stdin.recv().await {
                            if let Ok(Kind::Request { id, .. }) = serde_json::from_str::<Value>(&line).map(|m| kind(&m)) {
                                let _ = stdout.send(error_line(&id, &why));
                            }
                        }
                        return Err(Failure::Failed(why));
                    }
                },
                None => {
                    connection = None;
                    dropped(&mut session, &stdout);
                    next_attempt = Instant::now() + delay;
                    delay = (delay * 2).min(BACKOFF_MAX);
                }
            },
            _ = tokio::time::sleep_until(next_attempt.max(Instant::now() + delay)), if connection.is_none() => {
                if Instant::now() >= next_attempt {
                    delay = (delay * 2).min(BACKOFF_MAX);
                }
            }
        }
    }
}

/// On a fresh connection: the client's handshake again, then whatever waited.
async fn replay(
    conn: &mut LineSocket,
    session: &mut Session,
    replays: &mut HashSet<String>,
    queue: &mut VecDeque<String>,
) -> std::io::Result<()> {
    if let Some(initialize) = session.initialize.clone() {
        if session.initialize_answered {
            let id = Value::String(format!("ocimcpctl-bridge-replay-{}", replays.len() + 1));
            let mut again = initialize;
            again["id"] = id.clone();
            replays.insert(id.to_string());
            conn.send(&again.to_string()).await?;
            if let Some(initialized) = &session.initialized {
                conn.send(initialized).await?;
            }
        } else {
            // The first handshake never got its answer: send it as the client wrote it.
            let line = initialize.to_string();
            session.client_sent(&line);
            conn.send(&line).await?;
        }
    }
    while let Some(line) = queue.pop_front() {
        session.client_sent(&line);
        if let Err(e) = conn.send(&line).await {
            queue.push_front(line);
            return Err(e);
        }
    }
    Ok(())
}

/// Passes a daemon message on to the client. `Err` carries the daemon's refusal of this
/// connection (an error answering no request: the peer check failed), which no retry fixes.
fn from_daemon(
    line: String,
    session: &mut Session,
    replays: &mut HashSet<String>,
    stdout: &mpsc::UnboundedSender<String>,
) -> Result<(), String> {
    let Ok(message) = serde_json::from_str::<Value>(&line) else {
        // Not ours to judge: pass it on.
        let _ = stdout.send(line);
        return Ok(());
    };
    match kind(&message) {
        Kind::Response { id } if replays.remove(&id.to_string()) => {
            if let Some(error) = message.get("error") {
                eprintln!("ocimcpctl bridge: the daemon refused the replayed initialize: {error}");
            }
            return Ok(());
        }
        Kind::Other if message.get("error").is_some() => {
            let refusal = message["error"]["message"]
                .as_str()
                .unwrap_or("connection refused")
                .to_owned();
            return Err(refusal);
        }
        _ => {}
    }
    session.server_sent(&message);
    let _ = stdout.send(line);
    Ok(())
}

/// The daemon went away: requests in flight will never be answered by it.
fn dropped(session: &mut Session, stdout: &mpsc::UnboundedSender<String>) {
    eprintln!("ocimcpctl bridge: the daemon closed the connection; reconnecting");
    if !session.initialize_answered
        && let Some(id) = session.initialize.as_ref().and_then(|i| i.get("id"))
    {
        // Replayed as is on reconnect, not failed.
        session.pending.remove(&id.to_string());
    }
    for error in session.fail_pending(
        "ocimcpd went away (restarted?) while this request was in flight; the bridge has reconnected or is reconnecting: retry the request",
    ) {
        let _ = stdout.send(error);
    }
}

/// The daemon has been down too long: answer waiting requests rather than hang the client.
fn give_up_on_queued(
    queue: &mut VecDeque<String>,
    stdout: &mpsc::UnboundedSender<String>,
    socket: &Path,
) {
    let message = format!(
        "ocimcpd is not reachable at {} (is it running?); the bridge keeps trying",
        socket.display()
    );
    queue.retain(|line| {
        let Ok(parsed) = serde_json::from_str::<Value>(line) else {
            return false;
        };
        match kind(&parsed) {
            // The handshake waits: without it nothing works anyway.
            Kind::Request { method, .. } if method == "initialize" => true,
            Kind::Request { id, .. } => {
                let _ = stdout.send(error_line(&id, &message));
                false
            }
            Kind::Notification { method } => method == "notifications/initialized",
            _ => false,
        }
    });
}

async fn next_line(connection: &mut Option<LineSocket>) -> Option<String> {
    match connection {
        Some(conn) => conn.next().await.ok().flatten(),
        None => std::future::pending().await,
    }
}
