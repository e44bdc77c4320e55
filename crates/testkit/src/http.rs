//! The signaling server a real-peer test talks to its browser pages through.
//!
//! [`SignalingServer::start`] listens on `127.0.0.1:<free port>` and serves:
//!
//! | route | what |
//! |---|---|
//! | `GET /testkit.js` | [`PAGE_HELPER_JS`] |
//! | `GET /<name>` | a page added with [`SignalingServer::add_page`] |
//! | `GET /testkit/peer.html` | the standard browser peer, see [`crate::pages`] |
//! | `GET /signal/<peer>/from-test` | long poll: next message the test sent the page (200 JSON), or 204 after ~20 s |
//! | `POST /signal/<peer>/to-test` | a JSON message from the page to the test |
//! | `POST /log/<peer>` | a console line `{"level":…,"text":…}` |
//! | `POST /result/<peer>` | the page's outcome: `{"done": value}` or `{"fail": "message"}` |
//!
//! Each page is opened with `?peer=<name>` (see [`PagePeer::url`]); the test
//! side of that peer is a [`PagePeer`]: `send(json)` to the page, `recv()` from
//! it, and its console and outcome.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use crate::process::section;
use crate::{Error, Result};

pub use crate::http_client::post_json;

/// The page-side helper, served at `/testkit.js`. Load it first in every page:
/// `<script src="/testkit.js"></script>`. It defines `signal.send(obj)`,
/// `await signal.recv()`, `log(...)`, `done(result)`, `fail(err)`,
/// `run(async () => result)`, `sleep(ms)`, `waitFor(cond, what, ms)` and
/// `await selectedPair(pc)`, and
/// forwards every console line and uncaught error to the test.
pub const PAGE_HELPER_JS: &str = include_str!("page_helper.js");

/// How long a page's long poll waits before answering 204 (no message).
const LONG_POLL: Duration = Duration::from_secs(20);

/// How a peer (page or script) ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// It called `done(value)`.
    Done(Value),
    /// It called `fail(message)` (or threw, or exited early).
    Failed(String),
}

/// The server's state for one peer.
struct PeerState {
    to_page_tx: mpsc::UnboundedSender<Value>,
    to_page_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Value>>,
    to_test_tx: mpsc::UnboundedSender<Value>,
    to_test_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Value>>,
    console: Mutex<Vec<String>>,
    outcome: watch::Sender<Option<Outcome>>,
}

impl PeerState {
    fn new() -> Self {
        let (to_page_tx, to_page_rx) = mpsc::unbounded_channel();
        let (to_test_tx, to_test_rx) = mpsc::unbounded_channel();
        PeerState {
            to_page_tx,
            to_page_rx: tokio::sync::Mutex::new(to_page_rx),
            to_test_tx,
            to_test_rx: tokio::sync::Mutex::new(to_test_rx),
            console: Mutex::new(Vec::new()),
            outcome: watch::channel(None).0,
        }
    }
}

#[derive(Default)]
struct Shared {
    pages: Mutex<HashMap<String, (String, String)>>,
    peers: Mutex<HashMap<String, Arc<PeerState>>>,
}

impl Shared {
    fn peer(&self, name: &str) -> Arc<PeerState> {
        let mut peers = self.peers.lock().expect("peer map lock poisoned");
        peers
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(PeerState::new()))
            .clone()
    }
}

/// The HTTP server serving a test's pages and relaying its signaling.
/// Stops when dropped. Needs a tokio runtime.
pub struct SignalingServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl SignalingServer {
    /// Starts a server on `127.0.0.1` on a free port.
    pub async fn start() -> Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| Error::new(format!("signaling server: cannot bind 127.0.0.1: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::new(format!("signaling server: local_addr: {e}")))?;
        let shared = Arc::new(Shared::default());
        {
            let mut pages = shared.pages.lock().expect("page map lock poisoned");
            for (path, content_type, body) in crate::pages::BUILT_IN {
                pages.insert(
                    path.to_string(),
                    (content_type.to_string(), body.to_string()),
                );
            }
        }
        let app = Router::new()
            .route("/testkit.js", get(helper_js))
            .route("/signal/{peer}/from-test", get(from_test))
            .route("/signal/{peer}/to-test", post(to_test))
            .route("/log/{peer}", post(log_line))
            .route("/result/{peer}", post(result))
            .fallback(page)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("testkit signaling server stopped: {e}");
            }
        });
        Ok(SignalingServer { addr, shared, task })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `html` at `/<name>` (e.g. `"dc.html"`), as `text/html`.
    pub fn add_page(&self, name: &str, html: &str) {
        self.add_file(name, "text/html; charset=utf-8", html);
    }

    /// Serves `body` at `/<name>` with the given content type (scripts, JSON…).
    pub fn add_file(&self, name: &str, content_type: &str, body: &str) {
        let name = name.trim_start_matches('/').to_string();
        self.shared
            .pages
            .lock()
            .expect("page map lock poisoned")
            .insert(name, (content_type.to_string(), body.to_string()));
    }

    /// The test side of the peer named `name` (made on first use by either side).
    pub fn peer(&self, name: &str) -> PagePeer {
        PagePeer {
            name: name.to_string(),
            base_url: self.base_url(),
            state: self.shared.peer(name),
        }
    }
}

impl Drop for SignalingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The test's side of one page (one `?peer=` name) on a [`SignalingServer`].
/// Cheap to clone.
#[derive(Clone)]
pub struct PagePeer {
    name: String,
    base_url: String,
    state: Arc<PeerState>,
}

impl PagePeer {
    /// The peer's name (the page's `?peer=` parameter).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The URL that opens page `page` as this peer:
    /// `http://127.0.0.1:<port>/<page>?peer=<name>`.
    pub fn url(&self, page: &str) -> String {
        format!(
            "{}/{}?peer={}",
            self.base_url,
            page.trim_start_matches('/'),
            self.name
        )
    }

    /// Queues a message for the page (`await signal.recv()` there).
    pub fn send(&self, message: Value) {
        // The receiver lives in `state`, which we hold: sending cannot fail.
        let _ = self.state.to_page_tx.send(message);
    }

    /// The next message the page sent (`signal.send(obj)` there). Waits as long
    /// as the page may still send; `Err` once the page has reported its outcome
    /// and every message it sent was received (the error then carries the
    /// page's console).
    pub async fn recv(&self) -> Result<Value> {
        let mut rx = self.state.to_test_rx.lock().await;
        let mut outcome = self.state.outcome.subscribe();
        loop {
            if let Ok(message) = rx.try_recv() {
                return Ok(message);
            }
            let finished = outcome.borrow_and_update().clone();
            if let Some(o) = finished {
                return Err(self.outcome_error(
                    &format!(
                        "page peer {:?} ended before sending another message",
                        self.name
                    ),
                    &o,
                ));
            }
            tokio::select! {
                biased;
                m = rx.recv() => match m {
                    Some(message) => return Ok(message),
                    None => return Err(Error::new("signaling channel closed")),
                },
                _ = outcome.changed() => {}
            }
        }
    }

    /// [`recv`](Self::recv) with a time limit; the error names the peer and
    /// carries its console.
    pub async fn recv_timeout(&self, limit: Duration) -> Result<Value> {
        match tokio::time::timeout(limit, self.recv()).await {
            Ok(r) => r,
            Err(_) => Err(Error::new(format!(
                "page peer {:?} sent no message within {limit:?}\n{}",
                self.name,
                section("page console", &self.console().join("\n"))
            ))),
        }
    }

    /// The page's console lines so far (`[level] text`).
    pub fn console(&self) -> Vec<String> {
        self.state
            .console
            .lock()
            .expect("console lock poisoned")
            .clone()
    }

    /// The page's outcome, if it has reported one.
    pub fn outcome(&self) -> Option<Outcome> {
        self.state.outcome.borrow().clone()
    }

    /// Waits (without limit) for the page's outcome.
    pub async fn wait_outcome(&self) -> Outcome {
        let mut rx = self.state.outcome.subscribe();
        loop {
            if let Some(o) = rx.borrow_and_update().clone() {
                return o;
            }
            if rx.changed().await.is_err() {
                // The sender lives in `state`, which we hold; unreachable.
                return Outcome::Failed("outcome channel closed".into());
            }
        }
    }

    fn outcome_error(&self, what: &str, outcome: &Outcome) -> Error {
        let detail = match outcome {
            Outcome::Done(v) => format!("it reported done({v})"),
            Outcome::Failed(e) => format!("it reported fail: {e}"),
        };
        Error::new(format!(
            "{what}: {detail}\n{}",
            section(
                &format!("page console (peer {})", self.name),
                &self.console().join("\n")
            )
        ))
    }
}

impl crate::signal::SignalPeer for PagePeer {
    fn label(&self) -> String {
        format!("page {}", self.name)
    }

    async fn send(&self, message: Value) -> Result<()> {
        PagePeer::send(self, message);
        Ok(())
    }

    async fn recv(&self) -> Result<Value> {
        PagePeer::recv(self).await
    }
}

async fn helper_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE_HELPER_JS,
    )
        .into_response()
}

async fn page(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    let mut name = uri.path().trim_start_matches('/');
    if name.is_empty() {
        name = "index.html";
    }
    let found = shared
        .pages
        .lock()
        .expect("page map lock poisoned")
        .get(name)
        .cloned();
    match found {
        Some((content_type, body)) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "no-store".to_string()),
            ],
            body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such page").into_response(),
    }
}

async fn from_test(State(shared): State<Arc<Shared>>, Path(peer): Path<String>) -> Response {
    let state = shared.peer(&peer);
    let mut rx = state.to_page_rx.lock().await;
    match tokio::time::timeout(LONG_POLL, rx.recv()).await {
        Ok(Some(message)) => Json(message).into_response(),
        _ => StatusCode::NO_CONTENT.into_response(),
    }
}

async fn to_test(
    State(shared): State<Arc<Shared>>,
    Path(peer): Path<String>,
    Json(message): Json<Value>,
) -> StatusCode {
    let _ = shared.peer(&peer).to_test_tx.send(message);
    StatusCode::NO_CONTENT
}

async fn log_line(
    State(shared): State<Arc<Shared>>,
    Path(peer): Path<String>,
    Json(line): Json<Value>,
) -> StatusCode {
    let level = line.get("level").and_then(Value::as_str).unwrap_or("log");
    let text = match line.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => line.to_string(),
    };
    let entry = format!("[{level}] {text}");
    // Shown live with --nocapture, and with a failing test's output.
    println!("page {peer}: {entry}");
    shared
        .peer(&peer)
        .console
        .lock()
        .expect("console lock poisoned")
        .push(entry);
    StatusCode::NO_CONTENT
}

async fn result(
    State(shared): State<Arc<Shared>>,
    Path(peer): Path<String>,
    Json(body): Json<Value>,
) -> StatusCode {
    let outcome = outcome_from_json(&body);
    let state = shared.peer(&peer);
    // The first outcome counts; a page cannot both pass and fail.
    state.outcome.send_if_modified(|slot| {
        if slot.is_none() {
            *slot = Some(outcome);
            true
        } else {
            false
        }
    });
    StatusCode::NO_CONTENT
}

/// Reads `{"done": v}` / `{"fail": e}`; anything else is a failure that says
/// what arrived.
pub(crate) fn outcome_from_json(body: &Value) -> Outcome {
    if let Some(v) = body.get("done") {
        Outcome::Done(v.clone())
    } else if let Some(e) = body.get("fail") {
        Outcome::Failed(match e {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    } else {
        Outcome::Failed(format!("malformed result: {body}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcome_json_forms() {
        assert_eq!(
            outcome_from_json(&json!({"done": {"ok": true}})),
            Outcome::Done(json!({"ok": true}))
        );
        assert_eq!(
            outcome_from_json(&json!({"fail": "boom"})),
            Outcome::Failed("boom".into())
        );
        assert!(
            matches!(outcome_from_json(&json!({"x": 1})), Outcome::Failed(m) if m.contains("malformed"))
        );
    }

    #[test]
    fn page_url_names_the_peer() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let server = SignalingServer::start().await.unwrap();
            let url = server.peer("a").url("/x.html");
            assert_eq!(url, format!("http://{}/x.html?peer=a", server.addr()));
        });
    }
}
