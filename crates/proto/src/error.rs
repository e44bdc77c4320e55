//! Errors as the W3C names them.
//!
//! Every fallible call returns [`Error`], whose [`Error::kind`] is the name of
//! the DOMException (or `TypeError`/`RangeError`) a browser would throw, and
//! whose [`Error::detail`] is the `RTCError.errorDetail` where one applies.

use std::fmt;

/// The W3C exception name of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `InvalidStateError`: the object is closed, or the call is not allowed in the current state.
    InvalidStateError,
    /// `InvalidAccessError`: the argument is not usable with this object.
    InvalidAccessError,
    /// `InvalidModificationError`: a description or configuration was changed where that is not allowed.
    InvalidModificationError,
    /// `OperationError`, also the name of every `RTCError`.
    OperationError,
    /// `NotReadableError`: no certificate could be made.
    NotReadableError,
    /// `NotSupportedError`: the feature or algorithm is not supported.
    NotSupportedError,
    /// `SyntaxError`: a URL or string does not parse.
    SyntaxError,
    /// `InvalidCharacterError`.
    InvalidCharacterError,
    /// `NotFoundError`.
    NotFoundError,
    /// JavaScript `TypeError`.
    TypeError,
    /// JavaScript `RangeError`.
    RangeError,
}

impl ErrorKind {
    /// The name exactly as a browser reports it (`err.name`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidStateError => "InvalidStateError",
            ErrorKind::InvalidAccessError => "InvalidAccessError",
            ErrorKind::InvalidModificationError => "InvalidModificationError",
            ErrorKind::OperationError => "OperationError",
            ErrorKind::NotReadableError => "NotReadableError",
            ErrorKind::NotSupportedError => "NotSupportedError",
            ErrorKind::SyntaxError => "SyntaxError",
            ErrorKind::InvalidCharacterError => "InvalidCharacterError",
            ErrorKind::NotFoundError => "NotFoundError",
            ErrorKind::TypeError => "TypeError",
            ErrorKind::RangeError => "RangeError",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `RTCErrorDetailType`: what an `RTCError` is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorDetail {
    /// `data-channel-failure`
    DataChannelFailure,
    /// `dtls-failure`
    DtlsFailure,
    /// `fingerprint-failure`
    FingerprintFailure,
    /// `sctp-failure`
    SctpFailure,
    /// `sdp-syntax-error`
    SdpSyntaxError,
    /// `hardware-encoder-not-available`
    HardwareEncoderNotAvailable,
    /// `hardware-encoder-error`
    HardwareEncoderError,
    /// `idp-execution-failure` (webrtc-identity)
    IdpExecutionFailure,
    /// `idp-load-failure`: no provider for the assertion's domain
    IdpLoadFailure,
    /// `idp-need-login`
    IdpNeedLogin,
    /// `idp-token-expired`
    IdpTokenExpired,
    /// `idp-token-invalid`
    IdpTokenInvalid,
}

impl ErrorDetail {
    /// The W3C string of this detail.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorDetail::DataChannelFailure => "data-channel-failure",
            ErrorDetail::DtlsFailure => "dtls-failure",
            ErrorDetail::FingerprintFailure => "fingerprint-failure",
            ErrorDetail::SctpFailure => "sctp-failure",
            ErrorDetail::SdpSyntaxError => "sdp-syntax-error",
            ErrorDetail::HardwareEncoderNotAvailable => "hardware-encoder-not-available",
            ErrorDetail::HardwareEncoderError => "hardware-encoder-error",
            ErrorDetail::IdpExecutionFailure => "idp-execution-failure",
            ErrorDetail::IdpLoadFailure => "idp-load-failure",
            ErrorDetail::IdpNeedLogin => "idp-need-login",
            ErrorDetail::IdpTokenExpired => "idp-token-expired",
            ErrorDetail::IdpTokenInvalid => "idp-token-invalid",
        }
    }
}

/// An error from an `RTCPeerConnection` operation, named as the W3C names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    detail: Option<ErrorDetail>,
    sdp_line_number: Option<usize>,
}

impl Error {
    /// An error of `kind` with a human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            detail: None,
            sdp_line_number: None,
        }
    }

    /// An `RTCError` (named `OperationError`) with an `errorDetail`.
    pub fn rtc(detail: ErrorDetail, message: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::OperationError,
            message: message.into(),
            detail: Some(detail),
            sdp_line_number: None,
        }
    }

    /// An `RTCError` `sdp-syntax-error` at the given 1-based SDP line.
    pub fn sdp_syntax(line: usize, message: impl Into<String>) -> Self {
        Error {
            sdp_line_number: Some(line),
            ..Error::rtc(ErrorDetail::SdpSyntaxError, message)
        }
    }

    /// `InvalidStateError` with a message.
    pub fn invalid_state(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidStateError, message)
    }

    /// `InvalidStateError` because the connection is closed.
    pub fn closed() -> Self {
        Error::invalid_state("the RTCPeerConnection is closed")
    }

    /// `InvalidAccessError` with a message.
    pub fn invalid_access(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidAccessError, message)
    }

    /// `TypeError` with a message.
    pub fn type_error(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::TypeError, message)
    }

    /// `OperationError` with a message.
    pub fn operation(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::OperationError, message)
    }

    /// `InvalidModificationError` with a message.
    pub fn invalid_modification(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidModificationError, message)
    }

    /// The W3C exception name.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The W3C exception name as a string (`err.name` in a browser).
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// `RTCError.errorDetail`, for RTCErrors.
    pub fn detail(&self) -> Option<ErrorDetail> {
        self.detail
    }

    /// `RTCError.sdpLineNumber`, for `sdp-syntax-error`.
    pub fn sdp_line_number(&self) -> Option<usize> {
        self.sdp_line_number
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(d) = self.detail {
            write!(f, " ({})", d.as_str())?;
        }
        if let Some(l) = self.sdp_line_number {
            write!(f, " at SDP line {l}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<crate::certificate::CertificateError> for Error {
    fn from(e: crate::certificate::CertificateError) -> Self {
        let kind = match e.w3c_name() {
            "NotSupportedError" => ErrorKind::NotSupportedError,
            "InvalidAccessError" => ErrorKind::InvalidAccessError,
            _ => ErrorKind::OperationError,
        };
        Error::new(kind, e.to_string())
    }
}
