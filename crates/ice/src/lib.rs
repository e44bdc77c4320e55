//! Sans-IO ICE agent (RFC 8445, RFC 8838, RFC 7675, RFC 6544) and TURN allocations.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
