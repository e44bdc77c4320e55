//! Test kit for rtcpeer: real peers (Chromium, Firefox ESR, aiortc, coturn) and emulation.
