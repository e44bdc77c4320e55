//! Test kit for rtcpeer: real peers (Chromium, Firefox ESR, aiortc, coturn) and a
//! network emulator on virtual time.

pub mod emulator;
