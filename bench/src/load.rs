//! The closed-loop load: `concurrency` workers, each on its own HTTP/1.1 connection, send
//! one request, wait for its answer, and send the next, until the time is up. Sessions are
//! one shared by every connection, or one per connection. Latency is recorded per request
//! after a warm-up; the loader's own CPU time is reported beside the figures, so a loader
//! that became the bottleneck shows.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::client::{CallError, Connection, Endpoint, ListedTools, RequestTemplate};

/// What each request is.
#[derive(Debug, Clone)]
pub enum Work {
    /// `tools/call`; an answer with `isError: true` counts as an error.
    Call(RequestTemplate),
    /// `tools/list`.
    ListTools(RequestTemplate),
}

/// Whether connections share one session or each opens its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Sessions {
    Shared,
    PerConnection,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub endpoint: Endpoint,
    pub work: Work,
    pub concurrency: usize,
    pub sessions: Sessions,
    pub warmup: Duration,
    pub duration: Duration,
}

/// What a run measured. Latencies in milliseconds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub concurrency: usize,
    pub sessions: Sessions,
    pub seconds: f64,
    pub requests: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// CPU the loader itself used during the measured time, in cores (1.0 = one core busy).
    pub loader_cpu: f64,
    /// Up to five distinct error messages with how often each was seen.
    pub error_samples: BTreeMap<String, u64>,
}

/// Runs `plan` and reports what it measured. Fails only when no session could be set up.
pub async fn run(plan: Plan) -> anyhow::Result<Report> {
    let mut connections = Vec::with_capacity(plan.concurrency);
    let mut first = Connection::open(&plan.endpoint).await?;
    first.initialize().await?;
    let shared = first.session().cloned();
    connections.push(first);
    for _ in 1..plan.concurrency {
        let mut connection = Connection::open(&plan.endpoint).await?;
        match plan.sessions {
            Sessions::Shared => connection.join(shared.clone()),
            Sessions::PerConnection => {
                connection.initialize().await?;
            }
        }
        connections.push(connection);
    }

    let ids = Arc::new(AtomicU64::new(1));
    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let end = measure_from + plan.duration;
    let workers: Vec<_> = connections
        .into_iter()
        .map(|connection| {
            tokio::spawn(worker(
                connection,
                plan.work.clone(),
                ids.clone(),
                measure_from,
                end,
            ))
        })
        .collect();
    tokio::time::sleep_until(measure_from.into()).await;
    let cpu_from = cpu_time();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut error_samples = BTreeMap::new();
    let mut finished = Vec::new();
    for worker in workers {
        let outcome = worker.await?;
        latencies.extend(outcome.latencies);
        errors += outcome.errors;
        for (message, count) in outcome.error_samples {
            note_error(&mut error_samples, message, count);
        }
        finished.push(outcome.connection);
    }
    let measured = end.duration_since(measure_from).as_secs_f64();
    let cpu = (cpu_time() - cpu_from).as_secs_f64() / measured;
    if plan.sessions == Sessions::PerConnection {
        for connection in &mut finished {
            connection.close_session().await;
        }
    } else if let Some(connection) = finished.first_mut() {
        connection.close_session().await;
    }

    latencies.sort_unstable();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        latencies[rank.clamp(1, latencies.len()) - 1] as f64 / 1e6
    };
    let requests = latencies.len() as u64 + errors;
    Ok(Report {
        concurrency: plan.concurrency,
        sessions: plan.sessions,
        seconds: measured,
        requests,
        errors,
        per_second: latencies.len() as f64 / measured,
        p50_ms: percentile(50.0),
        p90_ms: percentile(90.0),
        p99_ms: percentile(99.0),
        max_ms: percentile(100.0),
        loader_cpu: cpu,
        error_samples,
    })
}

struct Outcome {
    connection: Connection,
    /// Nanoseconds per successful request.
    latencies: Vec<u64>,
    errors: u64,
    error_samples: BTreeMap<String, u64>,
}

async fn worker(
    mut connection: Connection,
    work: Work,
    ids: Arc<AtomicU64>,
    measure_from: Instant,
    end: Instant,
) -> Outcome {
    let mut latencies = Vec::with_capacity(1 << 14);
    let mut errors = 0;
    let mut error_samples = BTreeMap::new();
    loop {
        let id = ids.fetch_add(1, Ordering::Relaxed);
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        let outcome = match &work {
            Work::Call(request) => connection
                .call_tool(request.with_id(id), id)
                .await
                .map(drop),
            Work::ListTools(request) => connection
                .request::<ListedTools>(request.with_id(id), id)
                .await
                .map(drop),
        };
        let elapsed = sent.elapsed();
        if sent < measure_from {
            continue;
        }
        match outcome {
            Ok(_) => latencies.push(elapsed.as_nanos() as u64),
            Err(e) => {
                errors += 1;
                let broken = matches!(e, CallError::Connection(_));
                note_error(&mut error_samples, e.to_string(), 1);
                if broken {
                    // The connection is gone: every further request would fail the same
                    // way at once; wait out the run instead of spinning.
                    tokio::time::sleep_until(end.into()).await;
                    break;
                }
            }
        }
    }
    Outcome {
        connection,
        latencies,
        errors,
        error_samples,
    }
}

/// Counts `count` errors with `message`; only five distinct messages are kept.
fn note_error(samples: &mut BTreeMap<String, u64>, message: String, count: u64) {
    if samples.len() < 5 || samples.contains_key(&message) {
        *samples.entry(message).or_insert(0) += count;
    }
}

/// User plus system CPU time this process has used.
fn cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(usage) => {
            let micros = |t: nix::sys::time::TimeVal| {
                Duration::from_secs(t.tv_sec().max(0) as u64)
                    + Duration::from_micros(t.tv_usec().max(0) as u64)
            };
            micros(usage.user_time()) + micros(usage.system_time())
        }
        Err(_) => Duration::ZERO,
    }
}
