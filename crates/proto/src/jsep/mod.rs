//! JSEP (RFC 9429): making offers and answers and applying descriptions.

pub mod summary;
pub mod writer;

pub use summary::{MediaSummary, SectionKind, Setup, Summary};

/// What one m-line of a description is used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Carries a transceiver.
    Transceiver(crate::transceiver::TransceiverId),
    /// The data channel section.
    Data,
    /// Rejected (port 0), free to be recycled.
    Rejected,
}
