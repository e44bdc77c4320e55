//! A coturn TURN server per test, with long-term credentials.
//!
//! [`TurnServer::start`] runs `turnserver` on 127.0.0.1 on a free port (UDP
//! and TCP), relaying on 127.0.0.1, with user `test`, password `secret` and
//! realm `rtcpeer.test`; [`TurnServer::start_tls`] also listens for TLS with a
//! fresh self-signed certificate (made with the `openssl` command). The server
//! is killed when the value is dropped.

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::process::{end_group, file_tail, find_program, free_port, section};
use crate::{Error, Result};

/// The user name of the long-term credential.
pub const USERNAME: &str = "test";
/// The password of the long-term credential.
pub const PASSWORD: &str = "secret";
/// The realm.
pub const REALM: &str = "rtcpeer.test";

const INSTALL_HINT: &str = "run scripts/install-peers (apt-get install -y coturn)";

/// How long to wait for the server to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A running coturn instance.
pub struct TurnServer {
    child: Child,
    port: u16,
    tls_port: Option<u16>,
    tls_spki: Option<String>,
    log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl TurnServer {
    /// Starts coturn for UDP and TCP on a free port of 127.0.0.1.
    pub async fn start() -> Result<Self> {
        Self::spawn(false).await
    }

    /// Starts coturn for UDP, TCP and TLS (a self-signed certificate for
    /// 127.0.0.1; clients must not verify it). Needs the `openssl` command.
    pub async fn start_tls() -> Result<Self> {
        Self::spawn(true).await
    }

    async fn spawn(tls: bool) -> Result<Self> {
        let binary = find_program(&["turnserver"]).ok_or_else(|| {
            Error::new(format!(
                "coturn is not installed (no `turnserver` in $PATH); {INSTALL_HINT}. \
                 Real-peer tests never skip a missing peer."
            ))
        })?;
        let io = |e: std::io::Error| Error::new(format!("coturn: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("testkit-coturn-")
            .tempdir()
            .map_err(io)?;
        let port = free_port()?;
        let tls_port = if tls { Some(free_port()?) } else { None };
        let log_path = dir.path().join("turnserver.log");
        let log = File::create(&log_path).map_err(io)?;
        let log2 = log.try_clone().map_err(io)?;

        let mut cmd = Command::new(&binary);
        cmd.args([
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            "--lt-cred-mech",
            "--allow-loopback-peers",
            "--no-cli",
            "--no-dtls",
            "--log-file=stdout",
            "--simple-log",
        ]);
        cmd.arg(format!("--listening-port={port}"))
            .arg(format!("--user={USERNAME}:{PASSWORD}"))
            .arg(format!("--realm={REALM}"))
            .arg(format!(
                "--pidfile={}",
                dir.path().join("turnserver.pid").display()
            ));
        let mut tls_spki = None;
        match tls_port {
            Some(tls_port) => {
                let (cert, key) = self_signed_cert(dir.path())?;
                tls_spki = Some(spki_sha256(&cert)?);
                cmd.arg(format!("--tls-listening-port={tls_port}"))
                    .arg(format!("--cert={}", cert.display()))
                    .arg(format!("--pkey={}", key.display()));
            }
            None => {
                cmd.arg("--no-tls");
            }
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log2))
            .process_group(0);
        let child = cmd
            .spawn()
            .map_err(|e| Error::new(format!("cannot start coturn ({}): {e}", binary.display())))?;
        let mut server = TurnServer {
            child,
            port,
            tls_port,
            tls_spki,
            log_path,
            _dir: dir,
        };
        server.wait_ready().await?;
        println!(
            "testkit: coturn (pid {}) on 127.0.0.1:{port}{}",
            server.child.id(),
            tls_port.map(|p| format!(", TLS {p}")).unwrap_or_default()
        );
        Ok(server)
    }

    /// Waits until every listener accepts TCP connections.
    async fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        let ports: Vec<u16> = std::iter::once(self.port).chain(self.tls_port).collect();
        for port in ports {
            loop {
                if tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .is_ok()
                {
                    break;
                }
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(self.error(&format!("turnserver exited at start ({status})")));
                }
                if Instant::now() > deadline {
                    return Err(self.error(&format!(
                        "turnserver did not listen on TCP port {port} within {READY_TIMEOUT:?}"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    fn error(&self, what: &str) -> Error {
        Error::new(format!(
            "coturn: {what}\n{}",
            section("turnserver log, last 40 lines", &self.log_tail(40))
        ))
    }

    /// The UDP/TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The TLS port, when started with [`start_tls`](Self::start_tls).
    pub fn tls_port(&self) -> Option<u16> {
        self.tls_port
    }

    /// `turn:127.0.0.1:<port>?transport=udp`
    pub fn udp_url(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=udp", self.port)
    }

    /// `turn:127.0.0.1:<port>?transport=tcp`
    pub fn tcp_url(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=tcp", self.port)
    }

    /// `turns:127.0.0.1:<tls port>?transport=tcp`, when TLS is on.
    pub fn tls_url(&self) -> Option<String> {
        self.tls_port
            .map(|p| format!("turns:127.0.0.1:{p}?transport=tcp"))
    }

    /// Every URL the server answers on.
    pub fn urls(&self) -> Vec<String> {
        let mut urls = vec![self.udp_url(), self.tcp_url()];
        urls.extend(self.tls_url());
        urls
    }

    /// The base64 SHA-256 of the TLS certificate's public key (SPKI), when
    /// TLS is on.
    pub fn tls_spki_sha256(&self) -> Option<&str> {
        self.tls_spki.as_deref()
    }

    /// The TLS certificate in DER form (for a client that pins it, such as
    /// `rtcpeer::Settings::turn_tls_certificates`), when TLS is on.
    pub fn tls_certificate_der(&self) -> Option<Vec<u8>> {
        self.tls_port?;
        let out = Command::new("openssl")
            .args(["x509", "-outform", "DER", "-in"])
            .arg(self._dir.path().join("cert.pem"))
            .stdin(Stdio::null())
            .output()
            .ok()?;
        (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
    }

    /// Chromium arguments that make it trust this server's self-signed TLS
    /// certificate (and no other): `--ignore-certificate-errors-spki-list=…`.
    /// Chromium checks TURN TLS certificates (`net_error -202` otherwise).
    /// Empty without TLS.
    pub fn chromium_trust_args(&self) -> Vec<String> {
        self.tls_spki
            .iter()
            .map(|h| format!("--ignore-certificate-errors-spki-list={h}"))
            .collect()
    }

    /// The user name.
    pub fn username(&self) -> &'static str {
        USERNAME
    }

    /// The password.
    pub fn password(&self) -> &'static str {
        PASSWORD
    }

    /// A W3C `RTCIceServer` dictionary for `urls`:
    /// `{"urls": [...], "username": "test", "credential": "secret"}`.
    pub fn ice_server(&self, urls: &[String]) -> Value {
        json!({ "urls": urls, "username": USERNAME, "credential": PASSWORD })
    }

    /// The last `lines` lines of the server's log.
    pub fn log_tail(&self, lines: usize) -> String {
        file_tail(&self.log_path, lines)
    }
}

impl Drop for TurnServer {
    fn drop(&mut self) {
        end_group(&mut self.child, Duration::from_millis(500));
    }
}

/// Writes a self-signed ECDSA P-256 certificate for 127.0.0.1 into `dir`.
fn self_signed_cert(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let openssl = find_program(&["openssl"]).ok_or_else(|| {
        Error::new("TURN over TLS needs the `openssl` command (apt-get install -y openssl)")
    })?;
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let out = Command::new(openssl)
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("openssl: {e}")))?;
    if !out.status.success() {
        return Err(Error::new(format!(
            "openssl could not make a certificate: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok((cert, key))
}

/// The base64 SHA-256 of the certificate's SubjectPublicKeyInfo (DER), as
/// Chromium's `--ignore-certificate-errors-spki-list` wants it.
fn spki_sha256(cert: &Path) -> Result<String> {
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -in \"$1\" -pubkey -noout | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | openssl base64 -A",
        )
        .arg("spki")
        .arg(cert)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::new(format!("openssl: {e}")))?;
    let hash = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || hash.len() != 44 {
        return Err(Error::new(format!(
            "openssl could not hash the certificate's key: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    Ok(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_cert_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed_cert(dir.path()).unwrap();
        let cert = std::fs::read_to_string(cert).unwrap();
        assert!(cert.contains("BEGIN CERTIFICATE"));
        assert!(std::fs::read_to_string(key)
            .unwrap()
            .contains("PRIVATE KEY"));
        let dir2 = tempfile::tempdir().unwrap();
        let (other, _) = self_signed_cert(dir2.path()).unwrap();
        let (a, b) = (
            spki_sha256(&dir.path().join("cert.pem")).unwrap(),
            spki_sha256(&other).unwrap(),
        );
        assert_eq!(a.len(), 44, "base64 of 32 bytes: {a}");
        assert_ne!(a, b, "fresh keys hash differently");
    }
}
