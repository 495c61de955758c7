//! The daemon as a systemd service sees it: notifications on a datagram socket the test
//! owns (`NOTIFY_SOCKET`) through start, watchdog, reload and stop, and socket activation
//! with a TCP socket the test bound and passed as `LISTEN_FDS`.

use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use ocimcp_tests::{Daemon, binary};
use tokio::net::UnixDatagram;

/// The notifications received within `limit` until one satisfies `done`.
async fn until(
    socket: &UnixDatagram,
    limit: Duration,
    seen: &mut Vec<String>,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + limit;
    let mut buffer = vec![0_u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let received = tokio::time::timeout(left, socket.recv(&mut buffer)).await;
        let Ok(Ok(size)) = received else {
            panic!("no matching notification within {limit:?}; got {seen:?}");
        };
        let message = String::from_utf8_lossy(&buffer[..size]).into_owned();
        seen.push(message.clone());
        if done(&message) {
            return message;
        }
    }
}

#[tokio::test]
async fn ready_status_watchdog_reload_and_stop_are_notified() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
    let notify = path.display().to_string();
    let mut daemon = Daemon::start_with(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n",
        &[],
        &[
            ("NOTIFY_SOCKET", notify.as_str()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    let mut seen = Vec::new();
    let ready = until(&socket, Duration::from_secs(20), &mut seen, |m| {
        m.lines().any(|l| l == "READY=1")
    })
    .await;
    assert!(
        ready.lines().any(|l| l == "STATUS=0 of 0 backends ready"),
        "READY=1 comes with the backends' status: {ready:?}"
    );
    // Pings at half of 400 ms: several within a second and a half.
    let started = Instant::now();
    for _ in 0..3 {
        until(&socket, Duration::from_secs(2), &mut seen, |m| {
            m.lines().any(|l| l == "WATCHDOG=1")
        })
        .await;
    }
    assert!(started.elapsed() < Duration::from_millis(1500), "{seen:?}");

    kill(Pid::from_raw(daemon.pid()), Signal::SIGHUP).expect("SIGHUP");
    let reloading = until(&socket, Duration::from_secs(10), &mut seen, |m| {
        m.lines().any(|l| l == "RELOADING=1")
    })
    .await;
    assert!(
        reloading.lines().any(|l| l.starts_with("MONOTONIC_USEC=")
            && l["MONOTONIC_USEC=".len()..].parse::<u64>().is_ok()),
        "RELOADING=1 with MONOTONIC_USEC: {reloading:?}"
    );
    until(&socket, Duration::from_secs(10), &mut seen, |m| {
        m.lines().any(|l| l == "READY=1")
    })
    .await;

    kill(Pid::from_raw(daemon.pid()), Signal::SIGTERM).expect("SIGTERM");
    until(&socket, Duration::from_secs(10), &mut seen, |m| {
        m.lines().any(|l| l == "STOPPING=1")
    })
    .await;
    let status = daemon.wait_exit(Duration::from_secs(10)).expect("exits");
    assert_eq!(status.code(), Some(0));
}

#[tokio::test]
async fn the_status_counts_backends_not_yet_ready() {
    // A backend that never finishes starting: 0 of 1 ready.
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
    let notify = path.display().to_string();
    let _daemon = Daemon::start_with(
        "[gateway]\nlisten = \"127.0.0.1:0\"\n\n[[backends]]\nname = \"late\"\ncommand = \"sh\"\nargs = [\"-c\", \"sleep 30\"]\n",
        &[],
        &[("NOTIFY_SOCKET", notify.as_str())],
    );
    let mut seen = Vec::new();
    let ready = until(&socket, Duration::from_secs(20), &mut seen, |m| {
        m.lines().any(|l| l == "READY=1")
    })
    .await;
    assert!(
        ready.lines().any(|l| l == "STATUS=0 of 1 backends ready"),
        "{ready:?}"
    );
}

#[tokio::test]
async fn a_passed_tcp_socket_is_served_instead_of_binding() {
    ocimcp_tests::init();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    let fd = listener.as_raw_fd();
    // Inherited by the child, which moves it to fd 3 as systemd would.
    fcntl(&listener, FcntlArg::F_SETFD(FdFlag::empty())).expect("clear FD_CLOEXEC");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("ocimcpd.toml");
    // `listen` names a port nothing may use: the passed socket must win.
    std::fs::write(
        &config,
        "[gateway]\nlisten = \"127.0.0.1:1\"\n\n[builtin]\noci = false\n",
    )
    .expect("write config");
    let script = format!("exec 3<&{fd} {fd}<&-; LISTEN_PID=$$ exec \"$0\" --config \"$1\"");
    let mut child = Command::new("sh")
        .args(["-c", &script])
        .arg(binary("ocimcpd"))
        .arg(&config)
        .env("LISTEN_FDS", "1")
        .env("LISTEN_FDNAMES", "ocimcpd.socket")
        .env("OCIMCPD_RUNTIME_DIR", dir.path().join("run"))
        .env("OCIMCPD_STATE_DIR", dir.path().join("state"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start ocimcpd");
    drop(listener);
    let url = format!("http://{addr}/healthz");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        match reqwest::get(&url).await {
            Ok(response) => break response.status(),
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "no answer on the passed socket: {e}"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(status, 200);
    let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
    let _ = child.wait();
}
