//! The webrtc-identity members of `RTCPeerConnection`: `setIdentityProvider`,
//! `getIdentityAssertion`, `peerIdentity`, `idpLoginUrl`, `idpErrorInfo`. See
//! [`crate::identity`] for the flow.

use std::sync::Arc;

use super::PeerConnection;
use crate::error::{Error, ErrorKind, Result};
use crate::identity::{
    decode_identity_attribute, encode_identity_attribute, fingerprint_contents,
    parse_fingerprint_contents, IdentityAssertion, IdentityProvider, IdentityProviderOptions,
    IdpError,
};
use crate::jsep::summary::Summary;

/// Where `peerIdentity` stands (the state of the W3C promise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerIdentity {
    /// No assertion validated yet (the promise is pending).
    Pending,
    /// Validated: the promise resolved to this, and it cannot change.
    Known(IdentityAssertion),
    /// Validation failed with a target peer identity set: the promise rejected.
    Failed(Error),
}

/// The IdP state of one connection.
#[derive(Debug, Default)]
pub(crate) struct IdentityState {
    provider: Option<(Arc<dyn IdentityProvider>, IdentityProviderOptions)>,
    validators: Vec<Arc<dyn IdentityProvider>>,
    /// Our `a=identity` value, made once per provider.
    attribute: Option<String>,
    peer: Option<PeerIdentityInner>,
    login_url: Option<String>,
    error_info: Option<String>,
}

#[derive(Debug, Clone)]
enum PeerIdentityInner {
    Known(IdentityAssertion),
    Failed(Error),
}

impl PeerConnection {
    /// `setIdentityProvider(provider, options)`: from now on our offers and
    /// answers carry an assertion from `provider`. The provider also
    /// validates the peer's assertions for its domain.
    pub fn set_identity_provider(
        &mut self,
        provider: Arc<dyn IdentityProvider>,
        options: IdentityProviderOptions,
    ) -> Result<()> {
        self.check_open()?;
        if let Some(target) = &options.peer_identity {
            if self.config.peer_identity.is_none() {
                self.config.peer_identity = Some(target.clone());
            }
        }
        self.identity.attribute = None;
        self.add_identity_validator(provider.clone());
        self.identity.provider = Some((provider, options));
        Ok(())
    }

    /// Lets `validator` check the peer's assertions for its domain (the
    /// browser would load the IdP from that domain; we are told it).
    pub fn add_identity_validator(&mut self, validator: Arc<dyn IdentityProvider>) {
        let domain = validator.domain().to_string();
        self.identity.validators.retain(|v| v.domain() != domain);
        self.identity.validators.push(validator);
    }

    /// `getIdentityAssertion()`: makes (or reuses) our assertion and returns
    /// the `a=identity` value. InvalidStateError when closed or when no
    /// provider is set; the provider's failure as its `RTCError`.
    pub fn get_identity_assertion(&mut self) -> Result<String> {
        self.check_open()?;
        if self.identity.provider.is_none() {
            return Err(Error::invalid_state(
                "getIdentityAssertion() needs setIdentityProvider() first",
            ));
        }
        self.identity_attribute()
            .map(|a| a.expect("a provider is set"))
    }

    /// `peerIdentity`: the validated identity of the peer, if any.
    pub fn peer_identity(&self) -> PeerIdentity {
        match &self.identity.peer {
            None => PeerIdentity::Pending,
            Some(PeerIdentityInner::Known(a)) => PeerIdentity::Known(a.clone()),
            Some(PeerIdentityInner::Failed(e)) => PeerIdentity::Failed(e.clone()),
        }
    }

    /// `idpLoginUrl`: where the user must log in, after an `idp-need-login`.
    pub fn idp_login_url(&self) -> Option<String> {
        self.identity.login_url.clone()
    }

    /// `idpErrorInfo`: the last IdP error's text.
    pub fn idp_error_info(&self) -> Option<String> {
        self.identity.error_info.clone()
    }

    /// Our `a=identity` value for the next description (`None` without a
    /// provider). Made once and reused until the provider changes.
    pub(super) fn identity_attribute(&mut self) -> Result<Option<String>> {
        let Some((provider, options)) = &self.identity.provider else {
            return Ok(None);
        };
        if let Some(a) = &self.identity.attribute {
            return Ok(Some(a.clone()));
        }
        let (algorithm, digest) = &self.fingerprint;
        let contents = fingerprint_contents(algorithm, digest);
        match provider.generate_assertion(&contents, options) {
            Ok(assertion) => {
                let protocol = options.protocol.as_deref().unwrap_or("default");
                let a = encode_identity_attribute(provider.domain(), protocol, &assertion);
                self.identity.attribute = Some(a.clone());
                Ok(Some(a))
            }
            Err(e) => Err(self.idp_failed(e)),
        }
    }

    fn idp_failed(&mut self, e: IdpError) -> Error {
        if let IdpError::NeedLogin(url) = &e {
            self.identity.login_url = Some(url.clone());
        }
        self.identity.error_info = Some(e.to_string());
        e.to_error()
    }

    /// Validates the remote description's `a=identity`, before it is applied.
    /// With a target peer identity, every failure rejects the description;
    /// without one, a failed validation leaves `peerIdentity` pending.
    pub(super) fn validate_remote_identity(&mut self, s: &Summary) -> Result<()> {
        let target = self.config.peer_identity.clone();
        let Some(value) = s.identity.clone() else {
            return match target {
                Some(t) => Err(self.reject_identity(Error::new(
                    ErrorKind::OperationError,
                    format!("the peer must be {t} but its description carries no a=identity"),
                ))),
                None => Ok(()),
            };
        };
        match self.check_assertion(&value, s) {
            Ok(asserted) => {
                if let Some(t) = &target {
                    if &asserted.name != t {
                        let e = Error::new(
                            ErrorKind::OperationError,
                            format!("the peer is {} but must be {t}", asserted.name),
                        );
                        return Err(self.reject_identity(e));
                    }
                }
                if let Some(PeerIdentityInner::Known(known)) = &self.identity.peer {
                    if known != &asserted {
                        return Err(Error::new(
                            ErrorKind::OperationError,
                            format!(
                                "the peer identity is {} and cannot change to {}",
                                known.name, asserted.name
                            ),
                        ));
                    }
                }
                self.identity.peer = Some(PeerIdentityInner::Known(asserted));
                Ok(())
            }
            Err(e) if target.is_some() => Err(self.reject_identity(e)),
            Err(e) => {
                self.identity.error_info = Some(e.message().to_string());
                Ok(())
            }
        }
    }

    fn reject_identity(&mut self, e: Error) -> Error {
        if !matches!(self.identity.peer, Some(PeerIdentityInner::Known(_))) {
            self.identity.peer = Some(PeerIdentityInner::Failed(e.clone()));
        }
        e
    }

    fn check_assertion(&mut self, value: &str, s: &Summary) -> Result<IdentityAssertion> {
        let (domain, _protocol, assertion) =
            decode_identity_attribute(value).map_err(|e| self.idp_failed(e))?;
        let validator = self
            .identity
            .validators
            .iter()
            .find(|v| v.domain() == domain)
            .cloned()
            .ok_or_else(|| {
                Error::rtc(
                    crate::error::ErrorDetail::IdpLoadFailure,
                    format!("no identity provider for the domain {domain}"),
                )
            })?;
        let validated = validator
            .validate_assertion(&assertion)
            .map_err(|e| self.idp_failed(e))?;
        // The identity must be of the IdP's own domain.
        let user_domain = validated.identity.rsplit_once('@').map(|(_, d)| d);
        if user_domain != Some(domain.as_str()) {
            return Err(Error::new(
                ErrorKind::OperationError,
                format!(
                    "the IdP of {domain} asserted {}, outside its domain",
                    validated.identity
                ),
            ));
        }
        // The assertion must cover the certificate this description uses.
        let asserted = parse_fingerprint_contents(&validated.contents).ok_or_else(|| {
            Error::new(
                ErrorKind::OperationError,
                "the assertion's contents are not a fingerprint list",
            )
        })?;
        let covered = s
            .media
            .iter()
            .flat_map(|m| m.fingerprints.iter())
            .all(|(alg, bytes)| {
                asserted
                    .iter()
                    .any(|(a, d)| a.eq_ignore_ascii_case(alg) && hex_eq(d, bytes))
            });
        if !covered {
            return Err(Error::new(
                ErrorKind::OperationError,
                "the identity assertion covers another certificate than a=fingerprint",
            ));
        }
        Ok(IdentityAssertion {
            idp: domain,
            name: validated.identity,
        })
    }
}

/// `"AB:CD"` equals the bytes `[0xAB, 0xCD]`.
fn hex_eq(digest: &str, bytes: &[u8]) -> bool {
    let parts: Vec<&str> = digest.split(':').collect();
    parts.len() == bytes.len()
        && parts
            .iter()
            .zip(bytes)
            .all(|(p, b)| u8::from_str_radix(p, 16).ok() == Some(*b))
}
