//! Each example runs (loopback only) and does what it says.

#[path = "../examples/data_channels.rs"]
mod data_channels;
#[path = "../examples/perfect_negotiation.rs"]
mod perfect_negotiation;

use rtcpeer::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_channels_example() {
    let got = data_channels::run().await.unwrap();
    assert_eq!(
        got,
        vec![
            Message::Text("hello bob".into()),
            Message::Binary(vec![1, 2, 3]),
            Message::Text("pause".into()),
            Message::Text("hello alice".into()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perfect_negotiation_example_survives_glare_and_ice_restart() {
    let outcome = perfect_negotiation::run().await.unwrap();
    // The offers crossed: each side met the other's colliding offer.
    assert_eq!(outcome.polite_collisions, 1, "{outcome:?}");
    assert_eq!(outcome.impolite_collisions, 1, "{outcome:?}");
    assert_eq!(
        outcome.messages,
        vec![
            Message::Text("polite says hi".into()),
            Message::Text("impolite says hi".into()),
            Message::Text("still here after the restart".into()),
        ]
    );
}
