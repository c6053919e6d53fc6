//! The change feed pushed to NATS JetStream (`NATS_URL`): a real `nats-server` with JetStream
//! and the real binary as the relay. The relay starts while NATS is away, is killed in the
//! middle of a batch, two instances take over (one leads, one stands by), the leader is killed
//! in turn: a consumer of the stream sees every change of the feed once, in the feed's order,
//! under its subject, and the only messages published twice are the ones JetStream dropped as
//! duplicates of their `Nats-Msg-Id`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;
use futures_util::future::join_all;
use serde_json::Value;
use stunting_api::domain::Role;
use stunting_api::relay::{STREAM, subject};

use crate::common::{TestApp, free_port};
use crate::imports::measurements_csv;

const BIN: &str = env!("CARGO_BIN_EXE_stunting-api");
/// A secret the binary takes outside development (the instances sign and hash nothing here).
const STRONG: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const VILLAGES: [&str; 3] = ["14.01.01.2009", "14.03.01.1001", "32.04.05.2001"];
/// Changes at or before the relay's saved position.
const SAVED: &str = "SELECT count(*) FROM changes k JOIN change_relay r ON r.target = 'nats' \
                     WHERE (k.txid, k.seq) <= (r.txid, r.seq)";

/// Debian's `nats-server` (in /usr/sbin, which an ordinary user's PATH may lack).
fn nats_server_binary() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/bin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
        .expect("nats-server is not installed (Debian: apt-get install nats-server)")
}

/// A throwaway `nats-server -js` on `port`, its store in a temporary directory.
struct Nats {
    process: Child,
    _store: tempfile::TempDir,
}

impl Nats {
    async fn start(port: u16) -> Self {
        let store = tempfile::tempdir().unwrap();
        let process = Command::new(nats_server_binary())
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while async_nats::connect(format!("nats://127.0.0.1:{port}")).await.is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { process, _store: store }
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// `stunting-api serve` over the test's database, relaying to `nats_url` ten changes a batch.
struct Instance {
    process: Child,
    address: String,
    log: tempfile::NamedTempFile,
}

impl Instance {
    async fn start(database_url: &str, nats_url: &str) -> Self {
        let port = free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let process = Command::new(BIN)
            .args(["--database-url", database_url, "--listen-addr", &format!("127.0.0.1:{port}")])
            .args(["--jwt-secret", STRONG, "--nik-hash-key", STRONG])
            .args(["--admin-password", crate::common::app::PASSWORD, "--log-format", "pretty"])
            .args(["--nats-url", nats_url, "--nats-relay-batch", "10"])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log.reopen().unwrap())
            .spawn()
            .unwrap();
        let instance = Self { process, address: format!("http://127.0.0.1:{port}"), log };
        let deadline = Instant::now() + Duration::from_secs(60);
        let live = format!("{}/health/live", instance.address);
        while !reqwest::get(&live).await.is_ok_and(|r| r.status().is_success()) {
            assert!(Instant::now() < deadline, "the instance did not start: {}", instance.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        instance
    }

    /// A metric's value on this instance's `/metrics`.
    async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.address)).await.unwrap().text().await.unwrap();
        let line = text.lines().find(|l| l.split(' ').next() == Some(name));
        line.unwrap_or_else(|| panic!("{name} is not in /metrics")).split(' ').nth(1).unwrap().parse().unwrap()
    }

    /// What the instance logged (warnings and errors).
    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: a plain system call on a process this test started and has not reaped.
        assert_eq!(unsafe { libc::kill(self.process.id() as libc::pid_t, signal) }, 0);
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Children in each village, registered at once, then weighed three times by an import.
async fn write_wave(app: &TestApp, officers: &[String], children: usize) {
    join_all(officers.iter().zip(VILLAGES).map(|(officer, village)| async move {
        let registered = join_all((0..children).map(|_| app.child_in(officer, village))).await;
        let rows: Vec<(&Value, &str, f64)> = registered
            .iter()
            .flat_map(|child| [(child, "2025-01-10", -1.5), (child, "2025-02-10", -2.4), (child, "2025-03-10", -2.6)])
            .collect();
        let response = app
            .request(reqwest::Method::POST, "/api/v1/imports/measurements", Some(officer))
            .text("text/csv", measurements_csv(&rows))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }))
    .await;
}

async fn stored(jetstream: &jetstream::Context) -> i64 {
    match jetstream.get_stream(STREAM).await {
        Ok(stream) => stream.get_info().await.unwrap().state.messages as i64,
        Err(_) => 0,
    }
}

/// Waits until the stream holds as many messages as the feed has changes.
async fn caught_up(app: &TestApp, jetstream: &jetstream::Context) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (held, written) = (stored(jetstream).await, app.count("SELECT count(*) FROM changes").await);
        assert!(held <= written, "the stream holds more messages ({held}) than the feed has changes ({written})");
        if held == written {
            return held;
        }
        assert!(Instant::now() < deadline, "the relay stopped at {held} of {written} changes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn every_change_reaches_jetstream_once_in_order_through_kills_and_a_handover() {
    let app = TestApp::spawn().await;
    let districts = ["14.01", "14.03", "32.04"];
    let officers = join_all(districts.map(|d| app.token_for(Role::Officer, Some(d)))).await;
    write_wave(&app, &officers, 20).await;

    // NATS is away: the service serves and its relay waits, the lag growing.
    let nats_port = free_port();
    let nats_url = format!("nats://127.0.0.1:{nats_port}");
    let first = Instance::start(&app.database_url, &nats_url).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(first.metric("change_relay_active").await, 0.0);
    assert!(first.metric("change_relay_lag_seconds").await > 0.0, "the changes waiting show as lag");

    // NATS comes up; the relay is stopped between one probe and the next until it is caught
    // with messages stored beyond its saved position (a batch published, not yet saved), and
    // killed there.
    let nats = Nats::start(nats_port).await;
    let jetstream = jetstream::new(async_nats::connect(&nats_url).await.unwrap());
    let total = app.count("SELECT count(*) FROM changes").await;
    let mut probes = 0;
    let saved = loop {
        probes += 1;
        first.signal(libc::SIGSTOP);
        tokio::time::sleep(Duration::from_millis(30)).await;
        let (held, saved) = (stored(&jetstream).await, app.count(SAVED).await);
        if held > saved {
            first.signal(libc::SIGKILL);
            break saved;
        }
        assert!(held < total && probes < 1000, "the relay was never caught mid-batch ({probes} probes)");
        first.signal(libc::SIGCONT);
        tokio::time::sleep(Duration::from_millis(probes % 4)).await;
    };
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let published_twice = stored(&jetstream).await - saved;
    assert!(published_twice > 0 && saved + published_twice < total, "killed mid-way: {saved} saved, {total} in all");

    // Written while no relay runs: the outbox keeps them. Two instances start; one leads.
    write_wave(&app, &officers, 5).await;
    let pair =
        [Instance::start(&app.database_url, &nats_url).await, Instance::start(&app.database_url, &nats_url).await];
    caught_up(&app, &jetstream).await;
    let mut leaders = Vec::new();
    let mut duplicates = 0.0;
    for instance in &pair {
        leaders.push(instance.metric("change_relay_active").await == 1.0);
        duplicates += instance.metric("change_relay_duplicates_total").await;
    }
    assert_eq!(leaders.iter().filter(|l| **l).count(), 1, "one instance leads: {leaders:?}");
    assert_eq!(duplicates, published_twice as f64, "the batch cut short, published again and dropped");
    let [a, b] = pair;
    let (leader, standby) = if leaders[0] { (a, b) } else { (b, a) };
    assert_eq!(standby.metric("change_relay_published_total").await, 0.0);

    // The leader dies; the instance standing by takes over.
    drop(leader);
    write_wave(&app, &officers, 5).await;
    let held = caught_up(&app, &jetstream).await;
    assert_eq!(standby.metric("change_relay_active").await, 1.0);
    assert_eq!(standby.metric("change_relay_lag_seconds").await, 0.0);

    // A consumer of the whole stream: the feed, change by change, in order.
    let (feed, _) = crate::changes::drain_until(&app, &app.token_for(Role::Admin, None).await, None, 500, |items| {
        items.len() as i64 == held
    })
    .await;
    let stream = jetstream.get_stream(STREAM).await.unwrap();
    let ordered = consumer::pull::OrderedConfig { deliver_policy: consumer::DeliverPolicy::All, ..Default::default() };
    let mut messages = stream.create_consumer(ordered).await.unwrap().messages().await.unwrap();
    for expected in &feed {
        let message = tokio::time::timeout(Duration::from_secs(10), messages.next()).await.unwrap().unwrap().unwrap();
        let id = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id")).map(|v| v.as_str().to_owned());
        assert_eq!(id.as_deref(), expected["change"].as_str(), "the message id is the change's position");
        let payload: Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(&payload, expected, "the message is the change as the feed lists it");
        let (entity, region) = (expected["entity"].as_str().unwrap(), expected["region_code"].as_str().unwrap());
        assert_eq!(message.subject.as_str(), subject(entity, region));
    }
    assert!(feed.iter().any(|c| subject(c["entity"].as_str().unwrap(), c["region_code"].as_str().unwrap())
        == "stunting.changes.32.3204.measurement"));
    drop(nats);
}
