//! Our DTLS transport against a real, independent DTLS 1.2 implementation:
//! the `openssl` command line (`s_server` / `s_client`), over UDP on 127.0.0.1.
//!
//! Checks the handshake both ways round, application data both ways, and that
//! the DTLS-SRTP keys we export equal the ones OpenSSL exports (RFC 5764 §4.2,
//! label `EXTRACTOR-dtls_srtp`). Fails (never passes silently) if `openssl`
//! is missing.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtcpeer_proto::certificate::{Certificate, CertificateParams, FingerprintAlgorithm};
use rtcpeer_proto::dtls::{
    DtlsConfig, DtlsEvent, DtlsRole, DtlsState, DtlsTransport, DtlsVersionPolicy,
    SrtpKeyingMaterial, SrtpProfile,
};

const DEADLINE: Duration = Duration::from_secs(20);

/// A running `openssl` process whose stdout is collected by a thread.
struct OpenSsl {
    child: Child,
    stdin: ChildStdin,
    output: Arc<Mutex<String>>,
    dir: PathBuf,
}

impl OpenSsl {
    fn spawn(args: &[String], dir: PathBuf) -> OpenSsl {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the `openssl` command is required for this test (apt-get install openssl)");
        let stdin = child.stdin.take().expect("stdin was piped");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().expect("stdout was piped"))
                as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr was piped")),
        ] {
            let sink = Arc::clone(&output);
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let mut out = sink.lock().expect("no panics while holding the lock");
                    out.push_str(&line);
                    out.push('\n');
                }
            });
        }
        OpenSsl {
            child,
            stdin,
            output,
            dir,
        }
    }

    fn output(&self) -> String {
        self.output
            .lock()
            .expect("no panics while holding the lock")
            .clone()
    }

    fn wait_for(&self, needle: &str) -> bool {
        let start = Instant::now();
        while start.elapsed() < DEADLINE {
            if self.output().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The hex after "Keying material: " in OpenSSL's report.
    fn keying_material(&self) -> Option<Vec<u8>> {
        let out = self.output();
        let line = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("Keying material: "))?;
        let hex = line.trim();
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
            .collect()
    }
}

impl Drop for OpenSsl {
    fn drop(&mut self) {
        // Only the process this test started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rtcpeer-transport-{name}-{}-{:?}",
        std::process::id(),
        Instant::now()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write_pem(dir: &std::path::Path, name: &str, cert: &Certificate) -> (String, String) {
    let c = dir.join(format!("{name}.crt"));
    let k = dir.join(format!("{name}.key"));
    std::fs::write(&c, cert.pem()).expect("write cert");
    std::fs::write(&k, cert.private_key_pem()).expect("write key");
    (c.display().to_string(), k.display().to_string())
}

fn free_port() -> u16 {
    let s = UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    s.local_addr().expect("local addr").port()
}

fn srtp_args() -> Vec<String> {
    [
        "-use_srtp",
        "SRTP_AES128_CM_SHA1_80",
        "-keymatexport",
        "EXTRACTOR-dtls_srtp",
        "-keymatexportlen",
        "60",
    ]
    .map(String::from)
    .to_vec()
}

/// Drives `t` over `socket` on real time until `done` or the deadline.
/// `peer` is learnt from the first datagram when not known.
fn drive(
    t: &mut DtlsTransport,
    socket: &UdpSocket,
    peer: &mut Option<SocketAddr>,
    events: &mut Vec<DtlsEvent>,
    done: impl Fn(&DtlsTransport, &[DtlsEvent]) -> bool,
) {
    socket
        .set_read_timeout(Some(Duration::from_millis(10)))
        .expect("set timeout");
    let start = Instant::now();
    let mut buf = [0u8; 2048];
    while start.elapsed() < DEADLINE && !done(t, events) {
        if let Some(to) = *peer {
            while let Some(d) = t.poll_transmit() {
                socket.send_to(&d, to).expect("send on loopback");
            }
        }
        while let Some(e) = t.poll_event() {
            events.push(e);
        }
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                // Only the openssl process on loopback talks to this socket.
                if from.ip().is_loopback() {
                    peer.get_or_insert(from);
                    t.handle_receive(Instant::now(), &buf[..n]);
                }
            }
            Err(_) => t.handle_timeout(Instant::now()),
        }
        if t.poll_timeout().is_some_and(|at| at <= Instant::now()) {
            t.handle_timeout(Instant::now());
        }
    }
    if let Some(to) = *peer {
        while let Some(d) = t.poll_transmit() {
            socket.send_to(&d, to).expect("send on loopback");
        }
    }
    while let Some(e) = t.poll_event() {
        events.push(e);
    }
}

fn exported(km: &SrtpKeyingMaterial) -> Vec<u8> {
    [
        &km.client_key[..],
        &km.server_key,
        &km.client_salt,
        &km.server_salt,
    ]
    .concat()
}

fn keys(events: &[DtlsEvent]) -> Option<&SrtpKeyingMaterial> {
    events.iter().find_map(|e| match e {
        DtlsEvent::KeyingMaterial(k) => Some(k),
        _ => None,
    })
}

fn received(events: &[DtlsEvent]) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match e {
            DtlsEvent::ApplicationData(d) => Some(d.as_slice()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .concat()
}

fn certificate() -> Certificate {
    Certificate::generate(CertificateParams::default()).expect("P-256 generates")
}

#[test]
fn our_client_against_openssl_s_server() {
    client_against_s_server(DtlsConfig::default());
}

#[test]
fn our_auto_version_client_falls_back_to_12_with_openssl() {
    // The hybrid 1.2/1.3 ClientHello must work with a 1.2-only server.
    client_against_s_server(DtlsConfig {
        client_versions: DtlsVersionPolicy::Auto,
        ..Default::default()
    });
}

#[test]
fn openssl_s_client_against_our_server() {
    s_client_against_server(DtlsConfig::default());
}

#[test]
fn openssl_s_client_against_our_server_with_cookie_exchange() {
    s_client_against_server(DtlsConfig {
        server_cookie: true,
        ..Default::default()
    });
}

fn client_against_s_server(config: DtlsConfig) {
    let (ours, theirs) = (certificate(), certificate());
    let dir = temp_dir("server");
    let (crt, key) = write_pem(&dir, "server", &theirs);
    let port = free_port();
    let mut args: Vec<String> = [
        "s_server",
        "-dtls1_2",
        "-accept",
        &format!("127.0.0.1:{port}"),
        "-cert",
        &crt,
        "-key",
        &key,
        "-verify",
        "1",
        "-naccept",
        "1",
    ]
    .map(String::from)
    .to_vec();
    args.extend(srtp_args());
    let mut server = OpenSsl::spawn(&args, dir);
    assert!(
        server.wait_for("ACCEPT"),
        "s_server did not start: {}",
        server.output()
    );

    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    let mut t = DtlsTransport::new(ours.clone(), config);
    t.set_remote_fingerprints(vec![theirs
        .fingerprint(FingerprintAlgorithm::Sha256)
        .to_remote()
        .expect("parses")]);
    t.start(DtlsRole::Client, Instant::now()).expect("starts");
    let mut peer = Some(SocketAddr::from(([127, 0, 0, 1], port)));
    let mut events = Vec::new();
    drive(&mut t, &socket, &mut peer, &mut events, |t, _| {
        t.state() != DtlsState::Connecting
    });
    assert_eq!(
        t.state(),
        DtlsState::Connected,
        "{events:?}\n{}",
        server.output()
    );
    assert_eq!(t.stats().tls_version, Some("FEFD"));

    // Our data reaches OpenSSL, which prints it.
    t.send_application_data(b"hello openssl\n")
        .expect("connected");
    drive(&mut t, &socket, &mut peer, &mut events, |_, _| true);
    assert!(server.wait_for("hello openssl"), "{}", server.output());

    // OpenSSL's data (typed on its stdin) reaches us.
    server.stdin.write_all(b"hello rtcpeer\n").expect("stdin");
    server.stdin.flush().expect("stdin");
    drive(&mut t, &socket, &mut peer, &mut events, |_, ev| {
        received(ev).ends_with(b"hello rtcpeer\n")
    });
    assert!(
        received(&events).ends_with(b"hello rtcpeer\n"),
        "{events:?}"
    );

    // Both sides derived the same SRTP keys.
    let ours_km = keys(&events).expect("keying material");
    assert_eq!(ours_km.profile, SrtpProfile::Aes128CmSha1_80);
    assert!(server.wait_for("Keying material: "));
    assert_eq!(server.keying_material(), Some(exported(ours_km)));
}

fn s_client_against_server(config: DtlsConfig) {
    let (ours, theirs) = (certificate(), certificate());
    let dir = temp_dir("client");
    let (crt, key) = write_pem(&dir, "client", &theirs);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind loopback");
    let port = socket.local_addr().expect("addr").port();

    let mut t = DtlsTransport::new(ours, config);
    t.set_remote_fingerprints(vec![theirs
        .fingerprint(FingerprintAlgorithm::Sha256)
        .to_remote()
        .expect("parses")]);
    t.start(DtlsRole::Server, Instant::now()).expect("starts");

    let mut args: Vec<String> = [
        "s_client",
        "-dtls1_2",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-cert",
        &crt,
        "-key",
        &key,
    ]
    .map(String::from)
    .to_vec();
    args.extend(srtp_args());
    let mut client = OpenSsl::spawn(&args, dir);

    let mut peer = None;
    let mut events = Vec::new();
    drive(&mut t, &socket, &mut peer, &mut events, |t, _| {
        t.state() != DtlsState::Connecting
    });
    assert_eq!(
        t.state(),
        DtlsState::Connected,
        "{events:?}\n{}",
        client.output()
    );
    assert_eq!(t.stats().dtls_role, "server");
    // The cipher suite we report is the one OpenSSL says it negotiated.
    assert!(client.wait_for("Cipher is "));
    let openssl_name = client
        .output()
        .lines()
        .find_map(|l| l.split("Cipher is ").nth(1).map(|n| n.trim().to_string()))
        .expect("s_client names the cipher");
    let iana = match openssl_name.as_str() {
        "ECDHE-ECDSA-AES128-GCM-SHA256" => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "ECDHE-ECDSA-AES256-GCM-SHA384" => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305" => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        other => panic!("unexpected cipher {other}"),
    };
    assert_eq!(t.stats().dtls_cipher, Some(iana));

    client.stdin.write_all(b"hello server\n").expect("stdin");
    client.stdin.flush().expect("stdin");
    drive(&mut t, &socket, &mut peer, &mut events, |_, ev| {
        received(ev).ends_with(b"hello server\n")
    });
    assert!(received(&events).ends_with(b"hello server\n"), "{events:?}");

    t.send_application_data(b"hello s_client\n")
        .expect("connected");
    drive(&mut t, &socket, &mut peer, &mut events, |_, _| true);
    assert!(client.wait_for("hello s_client"), "{}", client.output());

    let ours_km = keys(&events).expect("keying material");
    assert!(client.wait_for("Keying material: "));
    assert_eq!(client.keying_material(), Some(exported(ours_km)));

    // Our close_notify ends OpenSSL's session.
    t.close();
    drive(&mut t, &socket, &mut peer, &mut events, |_, _| true);
    let closed = || client.output().lines().any(|l| l.trim() == "closed");
    let start = Instant::now();
    while !closed() && start.elapsed() < DEADLINE {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        closed(),
        "s_client saw no close_notify: {}",
        client.output()
    );
}
