//! (f) A broken expectation gives a readable failure: the page's error, its
//! console lines and the browser log's tail.

use std::time::Duration;

use testkit::browser::Browser;

use crate::LIMIT;

#[tokio::test]
async fn page_fail_reports_the_error_and_console() {
    testkit::isolate!();
    let server = testkit::http::SignalingServer::start().await.unwrap();
    server.add_page(
        "fail.html",
        r#"<script src="/testkit.js"></script>
<script>
console.log('console-marker-4417', { n: 1 });
console.error('error-marker-4418');
fail('deliberate failure x');
</script>"#,
    );
    let err = Browser::Chromium
        .run_page(&server.peer("p"), "fail.html", LIMIT)
        .await
        .unwrap_err()
        .to_string();
    println!("the failure reads:\n{err}");
    assert!(err.contains("Chromium page"), "{err}");
    assert!(
        err.contains("the page failed: deliberate failure x"),
        "{err}"
    );
    assert!(err.contains("[log] console-marker-4417 {\"n\":1}"), "{err}");
    assert!(err.contains("[error] error-marker-4418"), "{err}");
    assert!(err.contains("--- Chromium log, last 40 lines ---"), "{err}");
}

#[tokio::test]
async fn uncaught_page_error_is_a_failure() {
    testkit::isolate!();
    let server = testkit::http::SignalingServer::start().await.unwrap();
    server.add_page(
        "throw.html",
        r#"<script src="/testkit.js"></script>
<script>
setTimeout(() => { throw new Error('boom-991'); }, 10);
</script>"#,
    );
    let err = Browser::Firefox
        .run_page(&server.peer("p"), "throw.html", LIMIT)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Firefox ESR page"), "{err}");
    assert!(err.contains("uncaught error"), "{err}");
    assert!(err.contains("boom-991"), "{err}");
}

#[tokio::test]
async fn a_page_that_never_finishes_times_out_readably() {
    testkit::isolate!();
    let server = testkit::http::SignalingServer::start().await.unwrap();
    server.add_page(
        "hang.html",
        r#"<script src="/testkit.js"></script>
<script>log('waiting-marker-3307'); signal.recv();</script>"#,
    );
    let page = server.peer("p");
    let err = Browser::Chromium
        .run_page(&page, "hang.html", Duration::from_secs(8))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("timed out after 8s"), "{err}");
    assert!(err.contains("waiting-marker-3307"), "{err}");
    assert!(page.outcome().is_none());
}

/// The watchdog ends a browser at its hard lifetime even while the test
/// waits longer, and the failure says so.
#[tokio::test]
async fn the_watchdog_kills_a_browser_at_its_hard_lifetime() {
    testkit::isolate!();
    let server = testkit::http::SignalingServer::start().await.unwrap();
    server.add_page(
        "hang.html",
        r#"<script src="/testkit.js"></script><script>signal.recv();</script>"#,
    );
    let options = testkit::browser::LaunchOptions {
        max_lifetime: Some(Duration::from_secs(5)),
        ..Default::default()
    };
    let err = Browser::Firefox
        .run_page_with(&server.peer("p"), "hang.html", LIMIT, &options)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("killed at its hard lifetime"), "{err}");
}
