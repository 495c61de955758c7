//! A call's limits on tokio's paused clock, against a real MCP server served in-process:
//! the idle limit (no progress), progress that keeps a long call alive, the call limit
//! that progress cannot extend, the caller's cancellation and the gateway's cut-off. In
//! each case the backend is told `notifications/cancelled` and the handle lets go.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ClientRequest, ContentBlock,
    NumberOrString, ProgressNotificationParam, Request, ServerCapabilities, ServerConfig,
    ServerResult,
};
use rmcp::service::{RequestContext, RoleClient, RoleServer, RunningService, serve_client};
use rmcp::{ServerHandler, ServiceExt};
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{BackendHandle, CallError, Caller, Connection, Limit, Shutdown, Suspicion};
use crate::backends::client::BackendClient;
use crate::backends::in_process;
use crate::backends::ordered::InOrder;
use crate::backends::relay::Relay;
use crate::config::backend_spec;

/// Seconds between two progress notifications of the `tick_*` tools.
const TICK: Duration = Duration::from_secs(2);

/// A backend whose tools take their time: `hang` never answers; `tick_N` sends a
/// progress notification every [`TICK`] N times, then answers; `stall` sends two, then
/// never answers; `deaf` never answers and ignores cancellation. It counts the requests
/// it saw cancelled.
#[derive(Clone, Default)]
struct Slow {
    cancelled: Arc<AtomicUsize>,
}

impl ServerHandler for Slow {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let name = request.name.to_string();
        if name == "deaf" {
            // Never answers, not even a cancellation: only a broken connection ends it.
            return std::future::pending().await;
        }
        let (ticks, answers) = match name.as_str() {
            "stall" => (2, false),
            tick if tick.starts_with("tick_") => (tick[5..].parse().unwrap_or(0), true),
            _ => (0, false),
        };
        let work = async {
            let token = context.meta.get_progress_token();
            for step in 0..ticks {
                tokio::time::sleep(TICK).await;
                if let Some(token) = &token {
                    let param = ProgressNotificationParam::new(token.clone(), f64::from(step));
                    let _ = context.peer.notify_progress(param).await;
                }
            }
            if !answers {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            () = work => Ok(CallToolResult::success(vec![ContentBlock::text("done")]).into()),
            () = context.ct.cancelled() => {
                self.cancelled.fetch_add(1, Ordering::SeqCst);
                Err(McpError::internal_error("cancelled", None))
            }
        }
    }
}

/// A server with nothing on it: its peer stands for "the client" of a call.
struct Nobody;
impl ServerHandler for Nobody {}

/// The handle of a backend with `timeouts`, connected to [`Slow`]; and what keeps the
/// connections open.
struct Bench {
    handle: BackendHandle,
    backend: Slow,
    /// The task serving [`Slow`]; aborting it breaks the connection.
    server: tokio::task::JoinHandle<()>,
    client: rmcp::service::Peer<RoleServer>,
    _connection: RunningService<RoleClient, BackendClient>,
    _client_ends: (
        RunningService<RoleServer, Nobody>,
        RunningService<RoleClient, ()>,
    ),
}

async fn bench(timeouts: &str) -> Bench {
    let spec = backend_spec(&format!(
        "name = \"slow\"\ncommand = \"/nonexistent/slow\"\ntimeouts = {{ {timeouts} }}\n"
    ));
    let handle = BackendHandle::new(Arc::new(spec));
    let backend = Slow::default();
    let (client_end, server_end) = in_process::channel();
    let served = backend.clone();
    let server = tokio::spawn(async move {
        if let Ok(running) = rmcp::serve_server(served, server_end).await {
            let _ = running.waiting().await;
        }
    });
    let relay = Relay::new("slow", broadcast::channel(4).0);
    let (events, _) = mpsc::channel(4);
    let client = BackendClient::new(relay.clone(), events);
    let connection = serve_client(client.clone(), InOrder::new(client_end, client))
        .await
        .expect("initialize");
    handle.connect(Some(Connection::new(connection.peer().clone(), relay)));
    let (server_end, client_end) = tokio::io::duplex(64 * 1024);
    let (nobody, other) = tokio::join!(
        Nobody.serve(tokio::io::split(server_end)),
        ().serve(tokio::io::split(client_end))
    );
    let nobody = nobody.expect("server side");
    Bench {
        handle,
        backend,
        server,
        client: nobody.peer().clone(),
        _connection: connection,
        _client_ends: (nobody, other.expect("client side")),
    }
}

impl Bench {
    fn caller(&self, cancelled: &CancellationToken) -> Caller {
        Caller {
            client: self.client.clone(),
            client_key: 1,
            request: NumberOrString::Number(7),
            progress: None,
            log_level: None,
            capabilities: None,
            protocol: None,
            stateless: false,
            cancelled: cancelled.clone(),
        }
    }

    /// Calls `tool`; returns the outcome and how long it took on the paused clock.
    async fn call(
        &self,
        tool: &'static str,
        cancelled: &CancellationToken,
        cutoff: &CancellationToken,
    ) -> (Result<ServerResult, CallError>, Duration) {
        self.call_while(tool, cancelled, cutoff, &never()).await
    }

    /// Like [`call`](Self::call), with the daemon's `stopping` token.
    async fn call_while(
        &self,
        tool: &'static str,
        cancelled: &CancellationToken,
        cutoff: &CancellationToken,
        stopping: &CancellationToken,
    ) -> (Result<ServerResult, CallError>, Duration) {
        let request =
            ClientRequest::CallToolRequest(Request::new(CallToolRequestParams::new(tool)));
        let started = Instant::now();
        let outcome = self
            .handle
            .call(
                request,
                Some(tool),
                self.caller(cancelled),
                Shutdown { cutoff, stopping },
            )
            .await;
        (outcome, started.elapsed())
    }

    /// Waits (on the paused clock) until the backend saw `n` cancellations.
    async fn cancelled_at_backend(&self, n: usize) {
        for _ in 0..100 {
            if self.backend.cancelled.load(Ordering::SeqCst) >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the backend was not told the request was cancelled");
    }

    /// The suspicion the call raised, if any (without waiting).
    async fn suspicion(&self) -> Option<Suspicion> {
        tokio::time::timeout(Duration::ZERO, self.handle.suspected())
            .await
            .ok()
    }
}

fn never() -> CancellationToken {
    CancellationToken::new()
}

#[tokio::test(start_paused = true)]
async fn no_progress_for_the_idle_limit_ends_the_call_at_the_backend() {
    let bench = bench("call = \"60s\", idle = \"5s\"").await;
    let (outcome, took) = bench.call("hang", &never(), &never()).await;
    assert!(
        matches!(outcome, Err(CallError::TimedOut(Limit::Idle(idle))) if idle == Duration::from_secs(5)),
        "{outcome:?}"
    );
    assert!(
        took >= Duration::from_secs(5) && took < Duration::from_secs(6),
        "{took:?}"
    );
    bench.cancelled_at_backend(1).await;
    assert_eq!(bench.suspicion().await, Some(Suspicion::TimedOut));

    // Two progress notifications move the idle limit on; then silence ends the call.
    let (outcome, took) = bench.call("stall", &never(), &never()).await;
    assert!(
        matches!(outcome, Err(CallError::TimedOut(Limit::Idle(_)))),
        "{outcome:?}"
    );
    let expected = TICK * 2 + Duration::from_secs(5);
    assert!(
        took >= expected && took < expected + Duration::from_secs(1),
        "{took:?}"
    );
    bench.cancelled_at_backend(2).await;
}

#[tokio::test(start_paused = true)]
async fn progress_keeps_a_long_call_alive_but_not_past_the_call_limit() {
    let bench = bench("call = \"30s\", idle = \"5s\"").await;
    // 10 × 2 s: four times the idle limit, inside the call limit.
    let (outcome, took) = bench.call("tick_10", &never(), &never()).await;
    assert!(
        matches!(outcome, Ok(ServerResult::CallToolResult(_))),
        "{outcome:?}"
    );
    assert!(took >= TICK * 10, "{took:?}");
    assert_eq!(bench.suspicion().await, None);

    // 20 × 2 s: progress all along, but 40 s is past the call limit.
    let (outcome, took) = bench.call("tick_20", &never(), &never()).await;
    assert!(
        matches!(outcome, Err(CallError::TimedOut(Limit::Call(call))) if call == Duration::from_secs(30)),
        "{outcome:?}"
    );
    assert!(
        took >= Duration::from_secs(30) && took < Duration::from_secs(31),
        "{took:?}"
    );
    bench.cancelled_at_backend(1).await;
}

#[tokio::test(start_paused = true)]
async fn the_callers_cancellation_and_the_gateways_cutoff_end_the_call_at_once() {
    let bench = bench("call = \"60s\"").await;
    let cancelled = CancellationToken::new();
    let cancel = cancelled.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        cancel.cancel();
    });
    let (outcome, took) = bench.call("hang", &cancelled, &never()).await;
    assert!(matches!(outcome, Err(CallError::Cancelled)), "{outcome:?}");
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "{took:?}"
    );
    bench.cancelled_at_backend(1).await;
    assert_eq!(
        bench.suspicion().await,
        None,
        "a cancellation is no fault of the backend"
    );

    let cutoff = CancellationToken::new();
    let cut = cutoff.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(2)).await;
        cut.cancel();
    });
    let (outcome, _) = bench.call("hang", &never(), &cutoff).await;
    assert!(
        matches!(outcome, Err(CallError::ShuttingDown)),
        "{outcome:?}"
    );
    bench.cancelled_at_backend(2).await;

    // With no connection, a call fails at once and is never sent.
    bench.handle.connect(None);
    let (outcome, took) = bench.call("hang", &never(), &never()).await;
    assert!(
        matches!(outcome, Err(CallError::Unavailable)),
        "{outcome:?}"
    );
    assert_eq!(took, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_breaks_under_a_call_is_suspected() {
    let bench = bench("call = \"60s\"").await;
    let server = bench.server.abort_handle();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.abort();
    });
    let (outcome, took) = bench.call("deaf", &never(), &never()).await;
    assert!(matches!(outcome, Err(CallError::Broken)), "{outcome:?}");
    // Not the call limit: the broken connection ended it (rmcp closes a cancelled
    // service after a grace of its own, hence not at once).
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(bench.suspicion().await, Some(Suspicion::Broken));
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_breaks_while_the_daemon_stops_is_the_shutdowns_doing() {
    let bench = bench("call = \"60s\"").await;
    let stopping = CancellationToken::new();
    stopping.cancel();
    let server = bench.server.abort_handle();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.abort();
    });
    let (outcome, _) = bench
        .call_while("deaf", &never(), &never(), &stopping)
        .await;
    assert!(
        matches!(outcome, Err(CallError::ShuttingDown)),
        "{outcome:?}"
    );
    assert_eq!(
        bench.suspicion().await,
        None,
        "stopping backends is no fault of theirs"
    );
}
