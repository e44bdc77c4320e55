//! The webrtc-identity members (see [`rtcpeer_proto::identity`]).

use std::sync::Arc;

use rtcpeer_proto::identity::{IdentityAssertion, IdentityProvider, IdentityProviderOptions};
use rtcpeer_proto::{Error, PeerIdentity, Result};

use super::PeerConnection;

impl PeerConnection {
    /// `setIdentityProvider(provider, options)`: our offers and answers carry
    /// an identity assertion from `provider` from now on; it also validates
    /// the peer's assertions for its domain.
    pub fn set_identity_provider(
        &self,
        provider: Arc<dyn IdentityProvider>,
        options: IdentityProviderOptions,
    ) -> Result<()> {
        self.shared
            .mutate(|c| c.set_identity_provider(provider, options))
    }

    /// Trusts `validator` to check the peer's assertions for its domain.
    pub fn add_identity_validator(&self, validator: Arc<dyn IdentityProvider>) {
        let _ = self.shared.mutate(|c| {
            c.add_identity_validator(validator);
            Ok(())
        });
    }

    /// `getIdentityAssertion()`: our `a=identity` value.
    pub async fn get_identity_assertion(&self) -> Result<String> {
        self.shared.mutate(|c| c.get_identity_assertion())
    }

    /// `peerIdentity`: resolves once the peer's assertion is validated;
    /// rejects when validation failed with a target peer identity set, or
    /// when the connection is closed before.
    pub async fn peer_identity(&self) -> Result<IdentityAssertion> {
        loop {
            let changed = self.shared.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            {
                let core = self.shared.core();
                match core.peer_identity() {
                    PeerIdentity::Known(a) => return Ok(a),
                    PeerIdentity::Failed(e) => return Err(e),
                    PeerIdentity::Pending if core.is_closed() => {
                        return Err(Error::invalid_state(
                            "the connection closed before the peer identity was known",
                        ))
                    }
                    PeerIdentity::Pending => {}
                }
            }
            changed.await;
        }
    }

    /// `idpLoginUrl`.
    pub fn idp_login_url(&self) -> Option<String> {
        self.shared.core().idp_login_url()
    }

    /// `idpErrorInfo`.
    pub fn idp_error_info(&self) -> Option<String> {
        self.shared.core().idp_error_info()
    }
}
