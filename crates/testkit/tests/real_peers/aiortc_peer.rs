//! (d) aiortc offers, Chromium answers, through the relay; Chromium echoes
//! aiortc's data-channel message.

use serde_json::json;
use testkit::aiortc::AiortcPeer;
use testkit::browser::Browser;
use testkit::pages::PEER_PAGE;
use testkit::signal::relay_while;

use crate::{server_with_pages, LIMIT};

const OFFERER: &str = r#"
from peer_common import *

async def main():
    pc = peer_connection()
    dc = pc.createDataChannel("echo")
    echoed = asyncio.get_running_loop().create_future()

    @dc.on("open")
    def on_open():
        log("channel open")
        dc.send("ping from aiortc")

    @dc.on("message")
    def on_message(message):
        if not echoed.done():
            echoed.set_result(message)

    await pc.setLocalDescription(await pc.createOffer())
    send(description_json(pc.localDescription))
    while True:
        message = await recv()
        if message.get("type") == "answer":
            await pc.setRemoteDescription(description_from_json(message))
            break
    text = await echoed
    await pc.close()
    return {"ok": text == "ping from aiortc", "echo": text}

run(main)
"#;

#[tokio::test]
async fn aiortc_offers_chromium_answers_and_echoes() {
    testkit::isolate!();
    let server = server_with_pages().await;
    let page = server.peer("chromium");
    // aiortc does half-trickle: the answer leaves complete.
    page.send(json!({"setup": {"role": "answerer", "trickle": false, "echo": true, "expect": 1}}));
    let aiortc = AiortcPeer::spawn(OFFERER).await.unwrap();
    let chromium = Browser::Chromium.launch(&page.url(PEER_PAGE)).unwrap();
    let (py, chrome) = relay_while(&aiortc, &page, async {
        tokio::join!(
            aiortc.wait_result(LIMIT),
            chromium.wait_result(&page, LIMIT)
        )
    })
    .await;
    chromium.stop();
    let (py, chrome) = (py.unwrap(), chrome.unwrap());
    assert_eq!(py["ok"], true, "{py}");
    assert_eq!(py["echo"], "ping from aiortc");
    assert_eq!(
        chrome["received"]["echo"],
        json!(["ping from aiortc"]),
        "{chrome}"
    );
}

/// A script that raises reports the exception and its traceback.
#[tokio::test]
async fn aiortc_script_exception_is_reported() {
    testkit::isolate!();
    let script = "from peer_common import *\n\
                  async def main():\n    log('about to fail 5521')\n    raise ValueError('bad thing 5521')\n\
                  run(main)\n";
    let aiortc = AiortcPeer::spawn(script).await.unwrap();
    let err = aiortc.wait_result(LIMIT).await.unwrap_err().to_string();
    assert!(err.contains("ValueError: bad thing 5521"), "{err}");
    assert!(err.contains("about to fail 5521"), "{err}");
    assert!(err.contains("Traceback"), "{err}");
}

/// The standard aiortc peer answers Chromium's standard page (which offers
/// and trickles): both standard peers and trickle into aiortc.
#[tokio::test]
async fn chromium_offers_standard_aiortc_answers() {
    testkit::isolate!();
    let aiortc = AiortcPeer::standard(json!({"role": "answerer", "echo": true, "expect": 1}))
        .await
        .unwrap();
    let chromium = testkit::pages::BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "offerer", "greet": "hello aiortc", "echo": false, "expect": 1}),
    )
    .await
    .unwrap();
    let (py, chrome) = relay_while(&aiortc, &chromium, async {
        tokio::join!(aiortc.wait_result(LIMIT), chromium.report(LIMIT))
    })
    .await;
    let (py, chrome) = (py.unwrap(), chrome.unwrap());
    let sent = chrome["received"]["chat"][0].as_str().unwrap().to_string();
    assert!(
        sent.starts_with("hello aiortc | from") && sent.contains("Chrome"),
        "{chrome}"
    );
    assert_eq!(py["received"]["chat"], json!([sent]), "{py}");
    assert!(py["ua"].as_str().unwrap().starts_with("aiortc/"), "{py}");
}

/// The echo protocol: Chromium's standard page posts its complete offer to
/// aiortc's echo server over HTTP and gets its greeting echoed.
#[tokio::test]
async fn chromium_client_against_aiortc_echo_server() {
    testkit::isolate!();
    let (server, offer_url) = AiortcPeer::echo_server().await.unwrap();
    let chromium = testkit::pages::BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "offerer", "trickle": false, "greet": "echo me", "echo": false, "expect": 1}),
    )
    .await
    .unwrap();
    testkit::signal::offer_via_http(&chromium, &offer_url)
        .await
        .unwrap();
    let report = chromium.report(LIMIT).await.unwrap();
    let echoed = report["received"]["chat"][0].as_str().unwrap();
    assert!(echoed.starts_with("echo me | from"), "{report}");
    server.finish().await.unwrap();
    let stats = server.wait_result(LIMIT).await.unwrap();
    assert_eq!(stats["offers"], 1, "{stats}");
    assert_eq!(stats["echoed"], 1, "{stats}");
}

/// Firefox offers to the standard aiortc peer; aiortc offers the veth address
/// (Firefox ignores a remote 127.0.0.1).
#[tokio::test]
async fn firefox_offers_standard_aiortc_answers() {
    testkit::isolate!();
    let aiortc = AiortcPeer::standard(json!({
        "role": "answerer", "echo": true, "expect": 1,
        "hostAddresses": [testkit::netns::HOST_ADDR],
    }))
    .await
    .unwrap();
    let firefox = testkit::pages::BrowserPeer::launch(
        Browser::Firefox,
        json!({"role": "offerer", "greet": "hello aiortc", "echo": false, "expect": 1}),
    )
    .await
    .unwrap();
    let (py, page) = relay_while(&aiortc, &firefox, async {
        tokio::join!(aiortc.wait_result(LIMIT), firefox.report(LIMIT))
    })
    .await;
    let (py, page) = (py.unwrap(), page.unwrap());
    let sent = page["received"]["chat"][0].as_str().unwrap().to_string();
    assert!(
        sent.starts_with("hello aiortc | from") && sent.contains("Firefox"),
        "{page}"
    );
    assert_eq!(py["received"]["chat"], json!([sent]), "{py}");
}

/// The standard aiortc peer's events and `send` command: the test waits for
/// aiortc's channel to open, then has it send a message to Chromium.
#[tokio::test]
async fn standard_aiortc_takes_commands_and_reports_events() {
    testkit::isolate!();
    let aiortc = AiortcPeer::standard(json!({"role": "offerer", "events": true, "echo": false}))
        .await
        .unwrap();
    let chromium = testkit::pages::BrowserPeer::launch(
        Browser::Chromium,
        json!({"role": "answerer", "echo": false, "expect": 1}),
    )
    .await
    .unwrap();
    let mut events = Vec::new();
    let driver = async {
        loop {
            tokio::select! {
                m = aiortc.recv() => {
                    let m = m?;
                    match m.get("event").and_then(|e| e.as_str()) {
                        Some(event) => {
                            events.push(event.to_string());
                            if event == "open" {
                                aiortc.send(json!({"send": {"label": "chat", "data": "commanded"}})).await?;
                            }
                        }
                        None => chromium.send(m),
                    }
                }
                m = chromium.recv() => aiortc.send(m?).await?,
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), testkit::Error>(())
    };
    let page = tokio::select! {
        biased;
        r = chromium.report(LIMIT) => r.unwrap(),
        r = driver => panic!("the driver stopped: {r:?}"),
    };
    aiortc.finish().await.unwrap();
    let py = aiortc.wait_result(LIMIT).await.unwrap();
    assert_eq!(page["received"]["chat"], json!(["commanded"]), "{page}");
    assert!(
        events.contains(&"remoteDescription".to_string()),
        "{events:?}"
    );
    assert!(events.contains(&"open".to_string()), "{events:?}");
    assert_eq!(py["opened"], json!(["chat"]), "{py}");
}
