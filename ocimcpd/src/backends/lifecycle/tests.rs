//! The lifecycle's timing on tokio's paused clock: restart backoff, the crash-loop window,
//! quarantine and recovery probes, with a backend whose program does not exist (its every
//! start fails at once, so no real time passes anywhere).

use std::sync::Arc;
use std::time::Duration;

use ocimcp_proto::backend::{BackendState, EnabledBy};
use tokio_util::sync::CancellationToken;

use super::{CrashWindow, run};
use crate::config::{BackendSpec, backend_spec as spec};
use crate::registry::{BackendEntry, Enabled, Registry};

/// A backend whose every start fails at once.
const MISSING: &str = r#"name = "missing"
command = "/nonexistent/ocimcpd-lifecycle-test"
restart = { backoff_min = "1s", backoff_max = "4s", crash_loop_exits = 4, crash_loop_window = "60s" }
health = { probe_min = "20s", probe_max = "40s" }
"#;

fn start(
    spec: BackendSpec,
) -> (
    Arc<BackendEntry>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let entry = Arc::new(BackendEntry::new(
        spec,
        Enabled {
            enabled: true,
            by: EnabledBy::Spec,
        },
    ));
    let registry = Arc::new(Registry::new(Vec::new()));
    registry.put(entry.clone());
    let stop = CancellationToken::new();
    let task = tokio::spawn(run(entry.clone(), registry, stop.clone()));
    (entry, stop, task)
}

/// Lets virtual time pass (the paused clock jumps to each timer in turn).
async fn after(duration: Duration) {
    tokio::time::sleep(duration).await;
}

#[tokio::test(start_paused = true)]
async fn failed_starts_back_off_then_a_crash_loop_is_quarantined_and_probed() {
    let (entry, stop, task) = start(spec(MISSING));

    // The first start fails at once; the next is due in [0.5 s, 1 s] (1 s, jittered down
    // to its upper half).
    after(Duration::from_millis(10)).await;
    let status = entry.status();
    assert_eq!(status.state, BackendState::Restarting);
    assert_eq!(status.restarts, 1);
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("/nonexistent/ocimcpd-lifecycle-test")),
        "{status:?}"
    );
    after(Duration::from_millis(480)).await;
    assert_eq!(
        entry.status().restarts,
        1,
        "no second start before the backoff"
    );

    // Delays double: at most 1 + 2 + 4 s until the fourth failure, which is the fourth
    // within the 60 s window: a crash loop.
    after(Duration::from_secs(7)).await;
    let status = entry.status();
    assert_eq!(status.state, BackendState::Quarantined, "{status:?}");
    assert_eq!(
        status.restarts, 3,
        "three restarts before the loop was called"
    );
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("crash loop: 4 exits or failed starts within 60s")),
        "{status:?}"
    );
    assert_eq!(status.consecutive_failures, 0);

    // Recovery probes come on their own slower schedule: the first [10 s, 20 s] into the
    // quarantine, the next [20 s, 40 s] after that. The quarantine began between 3.5 s and
    // 7 s (the backoff is jittered), so the first probe comes between 13.5 s and 27 s, the
    // second not before 33.5 s: none at 12.5 s, exactly one at 27.5 s. Each failure keeps
    // the backend quarantined.
    after(Duration::from_secs(5)).await;
    assert_eq!(entry.status().consecutive_failures, 0);
    after(Duration::from_secs(15)).await;
    let status = entry.status();
    assert_eq!(status.state, BackendState::Quarantined);
    assert_eq!(status.consecutive_failures, 1, "{status:?}");
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("recovery probe failed")),
        "{status:?}"
    );
    assert_eq!(status.restarts, 3, "probes are not restarts");

    stop.cancel();
    task.await.expect("the lifecycle task ends");
    assert_eq!(entry.status().state, BackendState::Stopped);
}

#[tokio::test(start_paused = true)]
async fn the_crash_window_forgets_exits_older_than_the_window() {
    let spec = spec(MISSING);
    let mut window = CrashWindow::new(&spec);
    for _ in 0..3 {
        assert_eq!(window.record("died"), None);
        after(Duration::from_secs(25)).await;
    }
    // 75 s after the first exit: only the last two (and this one) are within 60 s.
    assert_eq!(window.record("died"), None);
    after(Duration::from_secs(1)).await;
    let looping = window.record("died again").expect("four exits within 60 s");
    assert!(looping.contains("last: died again"), "{looping}");
    // Called once, the window starts empty.
    assert_eq!(window.record("died"), None);
}
