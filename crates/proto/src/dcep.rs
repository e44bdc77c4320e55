//! dcep
