//! The exchange against a small identity domain on loopback that holds its answers until
//! the test lets them go, so that what is in flight at once can be counted.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::*;

const SECRET: &str = "the-client-secret";
/// Long enough never to end a test's wait on a working exchange; a wait that ends this
/// way means the exchanges were not in flight as the test expected.
const STUCK: Duration = Duration::from_secs(30);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An unsigned JWT with these claims (nothing here checks signatures).
fn jwt(claims: &serde_json::Value) -> String {
    format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(claims.to_string()))
}

fn user_jwt(sub: &str) -> String {
    jwt(&serde_json::json!({ "sub": sub, "iat": now(), "exp": now() + 3600 }))
}

/// The OCI documentation's sample key: generating RSA keys in tests is slow.
fn doc_key() -> Result<PrivateKey, KeyError> {
    PrivateKey::from_pem(
        include_str!("../../../tests/fixtures/doc_key_pkcs1.pem"),
        None,
    )
}

/// The identity domain: a token whose `sub` starts with `forged` is refused
/// (`invalid_grant`), any other gets a UPST; no answer leaves before [`Domain::open`].
struct Domain {
    url: String,
    posts: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    in_flight: watch::Receiver<usize>,
    gate: watch::Sender<bool>,
}

impl Domain {
    async fn start() -> Domain {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let posts = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let (count, in_flight) = watch::channel(0usize);
        let count = Arc::new(count);
        let (gate, _) = watch::channel(false);
        let (p, k, g) = (posts.clone(), peak.clone(), gate.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (posts, peak, count, gate) =
                    (p.clone(), k.clone(), count.clone(), g.subscribe());
                tokio::spawn(answer(stream, posts, peak, count, gate));
            }
        });
        Domain {
            url,
            posts,
            peak,
            in_flight,
            gate,
        }
    }

    fn open(&self) {
        self.gate.send_replace(true);
    }

    fn posts(&self) -> usize {
        self.posts.load(Ordering::SeqCst)
    }

    /// Waits until `n` requests are in flight at once.
    async fn until_in_flight(&self, n: usize) {
        let mut in_flight = self.in_flight.clone();
        tokio::time::timeout(STUCK, in_flight.wait_for(|now| *now >= n))
            .await
            .unwrap_or_else(|_| panic!("{n} exchanges never were in flight at once"))
            .expect("the domain runs");
    }

    fn exchange(&self) -> TokenExchange {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("a client");
        TokenExchange::new(&self.url, "gateway", SECRET, Region::new("iad"), http)
            .expect("an exchange")
            .with_keys(doc_key)
    }
}

async fn answer(
    mut stream: TcpStream,
    posts: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
    count: Arc<watch::Sender<usize>>,
    mut gate: watch::Receiver<bool>,
) {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    let body = loop {
        let Ok(n) = stream.read(&mut buffer).await else {
            return;
        };
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&request).into_owned();
        let Some((head, body)) = text.split_once("\r\n\r\n") else {
            continue;
        };
        let length = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if body.len() >= length {
            break body.to_owned();
        }
    };
    posts.fetch_add(1, Ordering::SeqCst);
    count.send_modify(|n| *n += 1);
    peak.fetch_max(*count.borrow(), Ordering::SeqCst);
    let _ = gate.wait_for(|open| *open).await;
    let token = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("subject_token="))
        .unwrap_or_default();
    let sub = Claims::of(token)
        .ok()
        .and_then(|claims| claims.str("sub").map(str::to_owned))
        .unwrap_or_default();
    let (status, json) = if sub.starts_with("forged") {
        (
            "400 Bad Request",
            serde_json::json!({ "error": "invalid_grant", "error_description": "Token is not valid." }),
        )
    } else {
        let upst = jwt(&serde_json::json!({
            "sub": sub, "tenant": "ocid1.tenancy.oc1..t", "iat": now(), "exp": now() + 3600,
        }));
        ("200 OK", serde_json::json!({ "token": upst }))
    };
    let json = json.to_string();
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{json}",
        json.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
    count.send_modify(|n| *n -= 1);
}

#[tokio::test]
async fn different_users_are_exchanged_side_by_side() {
    let domain = Domain::start().await;
    let exchange = Arc::new(domain.exchange());
    let alice = tokio::spawn({
        let exchange = exchange.clone();
        async move { exchange.principal_for(&user_jwt("alice")).await }
    });
    let bob = tokio::spawn({
        let exchange = exchange.clone();
        async move { exchange.principal_for(&user_jwt("bob")).await }
    });
    // Alice's exchange does not hold up Bob's: both reach the domain before either is
    // answered (one lock for all would keep the second from ever being sent).
    domain.until_in_flight(2).await;
    domain.open();
    let alice = alice.await.expect("joined").expect("alice");
    let bob = bob.await.expect("joined").expect("bob");
    assert_eq!((alice.subject(), bob.subject()), ("alice", "bob"));
    assert_eq!(domain.posts(), 2);
}

#[tokio::test]
async fn callers_with_the_same_token_share_one_exchange() {
    let domain = Domain::start().await;
    let exchange = Arc::new(domain.exchange());
    let token = user_jwt("alice");
    let callers: Vec<_> = (0..4)
        .map(|_| {
            let (exchange, token) = (exchange.clone(), token.clone());
            tokio::spawn(async move { exchange.principal_for(&token).await })
        })
        .collect();
    domain.until_in_flight(1).await;
    // The others queue behind the one in flight (or come after it): none sends its own.
    tokio::time::sleep(Duration::from_millis(100)).await;
    domain.open();
    let mut principals = Vec::new();
    for caller in callers {
        principals.push(caller.await.expect("joined").expect("alice"));
    }
    assert!(principals.iter().all(|p| Arc::ptr_eq(p, &principals[0])));
    assert_eq!(domain.posts(), 1);
    assert!(exchange.exchanging.lock().expect("map").is_empty());
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_token_is_not_sent_again_for_a_while() {
    let domain = Domain::start().await;
    domain.open();
    let exchange = domain.exchange();
    let forged = user_jwt("forged-alice");
    let first = exchange.principal_for(&forged).await.expect_err("refused");
    assert!(first.to_string().contains("invalid_grant"), "{first}");
    assert_eq!(domain.posts(), 1);

    // The same token again: refused with the same reason, without asking the domain.
    let again = exchange.principal_for(&forged).await.expect_err("refused");
    assert!(again.to_string().contains("invalid_grant"), "{again}");
    assert!(again.to_string().contains("not tried again"), "{again}");
    assert_eq!(domain.posts(), 1, "a remembered refusal sends no POST");
    // Another token (the real alice's) is not affected.
    exchange
        .principal_for(&user_jwt("alice"))
        .await
        .expect("alice");
    assert_eq!(domain.posts(), 2);

    // Once the refusal is old, the token is asked about again.
    tokio::time::pause();
    tokio::time::advance(Limits::default().remember_failure + Duration::from_secs(1)).await;
    tokio::time::resume();
    exchange.principal_for(&forged).await.expect_err("refused");
    assert_eq!(domain.posts(), 3);
    // The map holds hashes, never the token.
    let failures = exchange.exchanger.failures.lock().expect("map");
    assert!(failures.contains_key(&token_hash(&forged)));
}

#[tokio::test]
async fn no_more_than_the_cap_of_exchanges_are_in_flight() {
    let domain = Domain::start().await;
    let exchange = Arc::new(domain.exchange().with_limits(Limits {
        max_concurrent: 2,
        queue_patience: STUCK,
        ..Limits::default()
    }));
    let callers: Vec<_> = (0..5)
        .map(|i| {
            let exchange = exchange.clone();
            tokio::spawn(
                async move { exchange.principal_for(&user_jwt(&format!("user{i}"))).await },
            )
        })
        .collect();
    domain.until_in_flight(2).await;
    // Give the other three every chance to reach the domain too (without the cap they
    // would): they wait for a turn instead.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(domain.peak.load(Ordering::SeqCst), 2);
    domain.open();
    for caller in callers {
        caller.await.expect("joined").expect("a principal");
    }
    assert_eq!(domain.posts(), 5);
    assert_eq!(domain.peak.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_caller_who_finds_no_turn_in_time_is_told_why() {
    let domain = Domain::start().await;
    let exchange = Arc::new(domain.exchange().with_limits(Limits {
        max_concurrent: 1,
        queue_patience: Duration::from_millis(200),
        ..Limits::default()
    }));
    let first = tokio::spawn({
        let exchange = exchange.clone();
        async move { exchange.principal_for(&user_jwt("alice")).await }
    });
    domain.until_in_flight(1).await;
    let error = exchange
        .principal_for(&user_jwt("bob"))
        .await
        .expect_err("no turn while alice's exchange is held");
    assert!(
        error
            .to_string()
            .contains("1 token exchanges are already in flight and none finished within 0.2s"),
        "{error}"
    );
    domain.open();
    first.await.expect("joined").expect("alice");
    assert_eq!(domain.posts(), 1);
}

#[tokio::test]
async fn no_secret_is_in_the_debug_output() {
    let domain = Domain::start().await;
    domain.open();
    let exchange = domain.exchange();
    let token = user_jwt("alice");
    let alice = exchange.principal_for(&token).await.expect("alice");
    let upst = alice.session.lock().await.upst.token.clone();
    for debug in [format!("{exchange:?}"), format!("{alice:?}")] {
        assert!(debug.contains("alice"), "{debug}");
        for secret in [SECRET, &token, &upst] {
            assert!(!debug.contains(secret), "{debug} shows {secret}");
        }
    }
}
