#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Syslog sinks against real receivers: Debian's rsyslog (imtcp, octet
//! counting) run unprivileged in the foreground, and an in-repo TLS receiver
//! with a certificate made for the test. Both are stopped and started again
//! on the same port while records keep being appended.

mod common;

use behavry_sinks::SinkSet;
use common::{append, eventually, fresh_store, lookup, sinks_from};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sequence numbers found in syslog messages (`seq="N"` structured data).
fn seqs_in(text: &str) -> BTreeMap<u64, u32> {
    let mut seen = BTreeMap::new();
    for part in text.split("[behavry@32473 seq=\"").skip(1) {
        if let Some(n) = part.split('"').next().and_then(|n| n.parse::<u64>().ok()) {
            *seen.entry(n).or_insert(0) += 1;
        }
    }
    seen
}

struct Rsyslog {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Rsyslog {
    fn binary() -> PathBuf {
        for dir in ["/usr/sbin", "/sbin", "/usr/local/sbin"] {
            let p = Path::new(dir).join("rsyslogd");
            if p.is_file() {
                return p;
            }
        }
        panic!(
            "rsyslogd is not installed: run scripts/setup-test-deps.sh (it installs Debian's rsyslog package)"
        );
    }

    fn start(dir: &Path, port: u16) -> Rsyslog {
        let conf = dir.join("rsyslog.conf");
        let work = dir.join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{work}" maxMessageSize="64k")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="{port}")
template(name="raw" type="string" string="%rawmsg%\n")
action(type="omfile" file="{out}" template="raw" flushOnTXEnd="on")
"#,
                work = work.display(),
                out = dir.join("received.log").display(),
            ),
        )
        .unwrap();
        let child = Command::new(Self::binary())
            .arg("-n")
            .arg("-f")
            .arg(&conf)
            .arg("-i")
            .arg(dir.join("rsyslogd.pid"))
            .spawn()
            .unwrap();
        let r = Rsyslog {
            child,
            dir: dir.to_path_buf(),
            port,
        };
        r.wait_listening();
        r
    }

    fn wait_listening(&self) {
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("rsyslogd did not start listening on {}", self.port);
    }

    fn received(&self) -> BTreeMap<u64, u32> {
        seqs_in(&std::fs::read_to_string(self.dir.join("received.log")).unwrap_or_default())
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn has_all(seen: &BTreeMap<u64, u32>, n: u64) -> bool {
    (1..=n).all(|s| seen.contains_key(&s))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsyslog_receives_everything_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut rsyslog = Rsyslog::start(dir.path(), port);
    let (_db, store) = fresh_store().await;
    let toml = format!(
        "[[sinks]]\nname = \"rsyslog\"\nkind = \"syslog\"\naddress = \"tcp://127.0.0.1:{port}\"\nbatch_max = 25\nbatch_wait_ms = 10\ntimeout_ms = 1000\nhostname = \"gw-test\"\n"
    );
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    append(&store, 0, 200).await;
    eventually(
        Duration::from_secs(20),
        "rsyslog to write 200 records",
        || has_all(&rsyslog.received(), 200),
    )
    .await;
    eventually(Duration::from_secs(5), "cursor 200", || {
        sinks.statuses()[0].cursor == 200
    })
    .await;

    // Outage: the receiver goes away; records keep coming.
    rsyslog.stop();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 200..500 {
                append(&store, i, i + 1).await;
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    let during = sinks.statuses()[0].clone();
    assert!(during.backlog_records > 0, "{during:?}");
    assert!(during.last_error.is_some(), "{during:?}");
    let mut rsyslog = Rsyslog::start(dir.path(), port);
    writer.await.unwrap();
    eventually(
        Duration::from_secs(60),
        "rsyslog to write all 500 records",
        || has_all(&rsyslog.received(), 500),
    )
    .await;
    let text = std::fs::read_to_string(dir.path().join("received.log")).unwrap();
    let line = text.lines().next().unwrap();
    assert!(
        line.starts_with("<110>1 ") || line.starts_with("<109>1 ") || line.starts_with("<108>1 "),
        "{line}"
    );
    assert!(line.contains(" gw-test behavry - "), "{line}");
    sinks.shutdown().await;
    rsyslog.stop();
}

/// A TLS syslog receiver: octet-counted frames over rustls.
struct TlsReceiver {
    task: tokio::task::JoinHandle<()>,
}

fn server_config(cert: &rcgen::CertifiedKey<rcgen::KeyPair>) -> Arc<rustls::ServerConfig> {
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.cert.der().clone()], key)
    .unwrap();
    Arc::new(config)
}

impl TlsReceiver {
    async fn start(
        addr: std::net::SocketAddr,
        config: Arc<rustls::ServerConfig>,
        seen: Arc<Mutex<BTreeMap<u64, u32>>>,
    ) -> TlsReceiver {
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let seen = seen.clone();
                conns.spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut reader = BufReader::new(tls);
                    loop {
                        let mut len = Vec::new();
                        if reader.read_until(b' ', &mut len).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let Ok(n) = String::from_utf8_lossy(&len).trim().parse::<usize>() else {
                            return;
                        };
                        let mut msg = vec![0u8; n];
                        if reader.read_exact(&mut msg).await.is_err() {
                            return;
                        }
                        let text = String::from_utf8_lossy(&msg);
                        let mut s = seen.lock().unwrap();
                        for (k, v) in seqs_in(&text) {
                            *s.entry(k).or_insert(0) += v;
                        }
                    }
                });
            }
        });
        TlsReceiver { task }
    }

    fn stop(self) {
        // Dropping the accept task drops its connections too.
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_syslog_verifies_the_receiver_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["syslog.test".to_string()]).unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cert.cert.pem()).unwrap();
    let config = server_config(&cert);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let seen = Arc::new(Mutex::new(BTreeMap::new()));
    let rx = TlsReceiver::start(addr, config.clone(), seen.clone()).await;
    let (_db, store) = fresh_store().await;

    // Without the CA the receiver is not trusted: nothing is delivered.
    let untrusted = format!(
        "[[sinks]]\nname = \"untrusted\"\nkind = \"syslog\"\naddress = \"tls://{addr}\"\ntls = {{ server_name = \"syslog.test\" }}\ntimeout_ms = 500\n"
    );
    append(&store, 0, 100).await;
    let bad = SinkSet::start(store.clone(), &sinks_from(&untrusted), lookup).unwrap();
    eventually(Duration::from_secs(5), "a TLS failure", || {
        bad.statuses()[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("TLS"))
    })
    .await;
    assert_eq!(bad.statuses()[0].cursor, 0);
    bad.shutdown().await;
    assert!(seen.lock().unwrap().is_empty());

    let toml = format!(
        "[[sinks]]\nname = \"tls\"\nkind = \"syslog\"\naddress = \"tls://{addr}\"\nencoding = \"cef\"\nbatch_max = 20\nbatch_wait_ms = 10\ntimeout_ms = 1000\ntls = {{ ca_file = \"{}\", server_name = \"syslog.test\" }}\n",
        ca.display()
    );
    let sinks = SinkSet::start(store.clone(), &sinks_from(&toml), lookup).unwrap();
    eventually(Duration::from_secs(10), "100 records over TLS", || {
        has_all(&seen.lock().unwrap(), 100)
    })
    .await;
    eventually(Duration::from_secs(5), "cursor 100", || {
        sinks.statuses()[0].cursor == 100
    })
    .await;
    rx.stop();
    append(&store, 100, 200).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _rx = TlsReceiver::start(addr, config, seen.clone()).await;
    eventually(Duration::from_secs(30), "200 records over TLS", || {
        has_all(&seen.lock().unwrap(), 200)
    })
    .await;
    sinks.shutdown().await;
}
