//! WebRTC identity between rtcpeer connections: a valid assertion resolves
//! `peer_identity()` on both sides; a forged one (wrong key) and a stolen one
//! (another peer's assertion over a different certificate) are refused.

use std::sync::Arc;

use rtcpeer::identity::{IdentityProviderOptions, SharedKeyIdentityProvider};
use rtcpeer::{
    Configuration, ErrorDetail, ErrorKind, PeerConnection, SessionDescription, Settings,
    SignalingState,
};

const KEY: &[u8] = b"the example.org signing key";

fn pc(config: Configuration) -> PeerConnection {
    PeerConnection::with_settings(config, Settings::loopback_only()).unwrap()
}

fn idp(key: &[u8]) -> Arc<SharedKeyIdentityProvider> {
    Arc::new(SharedKeyIdentityProvider::new("example.org", key))
}

fn as_user(user: &str) -> IdentityProviderOptions {
    IdentityProviderOptions {
        username_hint: Some(user.into()),
        ..Default::default()
    }
}

fn expecting(peer: &str) -> Configuration {
    Configuration {
        peer_identity: Some(peer.into()),
        ..Default::default()
    }
}

/// An offer from `pc` with a data channel, set as its local description.
async fn offer(pc: &PeerConnection) -> SessionDescription {
    pc.create_data_channel("id", Default::default()).unwrap();
    let offer = pc.create_offer(Default::default()).await.unwrap();
    pc.set_local_description(Some(offer.clone())).await.unwrap();
    offer
}

fn identity_line(sdp: &str) -> &str {
    sdp.lines()
        .find(|l| l.starts_with("a=identity:"))
        .expect("the description carries a=identity")
}

#[tokio::test]
async fn valid_assertions_resolve_peer_identity_both_ways() {
    let (alice, bob) = (pc(Default::default()), pc(expecting("alice@example.org")));
    alice
        .set_identity_provider(idp(KEY), as_user("alice"))
        .unwrap();
    bob.set_identity_provider(idp(KEY), as_user("bob")).unwrap();

    let o = offer(&alice).await;
    let line = identity_line(&o.sdp).to_string();
    assert_eq!(
        line,
        format!(
            "a=identity:{}",
            alice.get_identity_assertion().await.unwrap()
        )
    );
    bob.set_remote_description(o).await.unwrap();
    let who = bob.peer_identity().await.unwrap();
    assert_eq!(
        (who.idp.as_str(), who.name.as_str()),
        ("example.org", "alice@example.org")
    );

    let answer = bob.create_answer(Default::default()).await.unwrap();
    identity_line(&answer.sdp);
    bob.set_local_description(Some(answer.clone()))
        .await
        .unwrap();
    alice.set_remote_description(answer).await.unwrap();
    assert_eq!(alice.peer_identity().await.unwrap().name, "bob@example.org");
    // Renegotiation keeps the same identity.
    let again = alice.create_offer(Default::default()).await.unwrap();
    assert_eq!(identity_line(&again.sdp), line);
}

#[tokio::test]
async fn a_forged_assertion_is_refused_when_a_peer_identity_is_expected() {
    let (mallory, bob) = (pc(Default::default()), pc(expecting("alice@example.org")));
    // Mallory signs "alice" with a key example.org never gave her.
    mallory
        .set_identity_provider(idp(b"not the real key"), as_user("alice"))
        .unwrap();
    bob.add_identity_validator(idp(KEY));

    let o = offer(&mallory).await;
    let e = bob.set_remote_description(o).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OperationError);
    assert_eq!(e.detail(), Some(ErrorDetail::IdpTokenInvalid));
    // Nothing was applied.
    assert_eq!(bob.signaling_state(), SignalingState::Stable);
    assert!(bob.remote_description().is_none());
    let e = bob.peer_identity().await.unwrap_err();
    assert_eq!(e.detail(), Some(ErrorDetail::IdpTokenInvalid));
}

#[tokio::test]
async fn a_forged_assertion_without_a_target_leaves_the_identity_unknown() {
    let (mallory, bob) = (pc(Default::default()), pc(Default::default()));
    mallory
        .set_identity_provider(idp(b"not the real key"), as_user("alice"))
        .unwrap();
    bob.add_identity_validator(idp(KEY));
    bob.set_remote_description(offer(&mallory).await)
        .await
        .unwrap();
    assert_eq!(bob.signaling_state(), SignalingState::HaveRemoteOffer);
    assert!(bob.idp_error_info().unwrap().contains("signature"));
    // Still pending: closing is what ends the wait.
    let waiting = tokio::spawn({
        let bob = bob.clone();
        async move { bob.peer_identity().await }
    });
    bob.close();
    let e = waiting.await.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStateError);
}

#[tokio::test]
async fn a_stolen_assertion_over_another_certificate_is_refused() {
    let (alice, mallory, bob) = (
        pc(Default::default()),
        pc(Default::default()),
        pc(expecting("alice@example.org")),
    );
    alice
        .set_identity_provider(idp(KEY), as_user("alice"))
        .unwrap();
    bob.add_identity_validator(idp(KEY));
    let stolen = identity_line(&offer(&alice).await.sdp).to_string();
    // Mallory's own offer (her certificate) with Alice's assertion pasted in.
    let mut o = offer(&mallory).await;
    let at = o.sdp.find("m=").unwrap();
    o.sdp.insert_str(at, &format!("{stolen}\r\n"));
    let e = bob.set_remote_description(o).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OperationError);
    assert!(e.message().contains("another certificate"), "{e}");
    assert!(bob.peer_identity().await.is_err());
}

#[tokio::test]
async fn identity_calls_fail_as_the_spec_says() {
    let pc = pc(Default::default());
    let e = pc.get_identity_assertion().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStateError);
    // A provider that does not know who we are: idp-need-login and its URL.
    pc.set_identity_provider(idp(KEY), Default::default())
        .unwrap();
    let e = pc.get_identity_assertion().await.unwrap_err();
    assert_eq!(e.detail(), Some(ErrorDetail::IdpNeedLogin));
    assert_eq!(
        pc.idp_login_url().as_deref(),
        Some("https://example.org/login")
    );
    let e = pc.create_offer(Default::default()).await.unwrap_err();
    assert_eq!(e.detail(), Some(ErrorDetail::IdpNeedLogin));
    pc.close();
    let e = pc
        .set_identity_provider(idp(KEY), as_user("a"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidStateError);
}
