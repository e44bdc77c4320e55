//! Data channels (webrtc-pc §6.1–6.2) and the transport verbs of the core:
//! the async layer feeds datagrams and time in, and takes datagrams and
//! events out, exactly as for every sans-IO machine in this project.

use std::net::SocketAddr;
use std::time::Instant;

use super::*;
use crate::config::IceTransportPolicy;
use crate::dcep::{ChannelInfo, DataChannelEvent, DataChannelInit, DcepError};
use crate::transport::{Transmit, Transport, TransportEvent};
use rtcpeer_ice::Protocol;

fn dcep_error(e: DcepError) -> Error {
    let kind = match e.w3c_name() {
        "TypeError" => ErrorKind::TypeError,
        "OperationError" => ErrorKind::OperationError,
        _ => ErrorKind::InvalidStateError,
    };
    Error::new(kind, e.to_string())
}

impl PeerConnection {
    /// `createDataChannel(label, dataChannelDict)`: the W3C checks, then the
    /// channel is registered; it opens once SCTP is up (the first one makes
    /// negotiation needed).
    pub fn create_data_channel(&mut self, label: &str, init: DataChannelInit) -> Result<ChannelId> {
        self.check_open()?;
        if init.id == Some(u16::MAX) {
            return Err(Error::type_error("id 65535 is not a valid stream id"));
        }
        let id = self
            .transport
            .channels_mut()
            .create_channel(label, init)
            .map_err(dcep_error)?;
        self.note_data_channel()?;
        self.transport.flush();
        self.pull_transport_events();
        Ok(id)
    }

    /// A data channel's attributes and counters.
    pub fn data_channel(&self, id: ChannelId) -> Option<&ChannelInfo> {
        self.transport.channels().channel(id)
    }

    /// `RTCSctpTransport.state`; `None` while `pc.sctp` is null (no data
    /// channels negotiated yet).
    pub fn sctp_state(&self) -> Option<crate::transport::SctpTransportState> {
        if self.closed {
            return self
                .transport
                .sctp_state()
                .map(|_| crate::transport::SctpTransportState::Closed);
        }
        self.transport.sctp_state()
    }

    /// `RTCSctpTransport.maxChannels`: `None` (null) until the association is up.
    pub fn sctp_max_channels(&self) -> Option<u16> {
        self.transport.sctp_max_channels()
    }

    /// `RTCDtlsTransport.state`.
    pub fn dtls_state(&self) -> crate::dtls::DtlsState {
        if self.closed {
            return crate::dtls::DtlsState::Closed;
        }
        self.transport.dtls_state()
    }

    /// `RTCSctpTransport.maxMessageSize`: the largest message `send` takes.
    pub fn max_message_size(&self) -> usize {
        self.transport.channels().max_message_size()
    }

    /// `channel.send(data)`: `InvalidStateError` when the channel is not
    /// open, `TypeError` when the message is larger than the peer accepts.
    pub fn send_data(&mut self, id: ChannelId, data: &[u8], binary: bool) -> Result<()> {
        self.transport
            .channels_mut()
            .send(id, data, binary)
            .map_err(dcep_error)?;
        self.transport.flush();
        self.pull_transport_events();
        Ok(())
    }

    /// `channel.close()`.
    pub fn close_data_channel(&mut self, id: ChannelId) {
        self.transport.channels_mut().close(id);
        self.transport.flush();
        self.pull_transport_events();
    }

    /// `channel.bufferedAmountLowThreshold = bytes`.
    pub fn set_buffered_amount_low_threshold(&mut self, id: ChannelId, bytes: u64) {
        self.transport
            .channels_mut()
            .set_buffered_amount_low_threshold(id, bytes);
    }

    /// The transport (ICE, DTLS, SCTP state and counters).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// Registers one local UDP socket as a host candidate; it is signaled as
    /// an `icecandidate` event. Does nothing before a local description.
    pub fn add_host_candidate(&mut self, now: Instant, addr: SocketAddr) {
        self.sync_transport(now);
        if self.closed {
            return;
        }
        if let Some(line) = self.transport.add_host(addr) {
            self.add_local_candidate(line);
        }
    }

    /// The `.local` (mDNS) host names of remote candidates still to resolve.
    pub fn unresolved_remote_hostnames(&self) -> Vec<String> {
        self.transport.unresolved_remote_hostnames()
    }

    /// An mDNS answer for a remote candidate's host name.
    pub fn resolve_remote_hostname(&mut self, now: Instant, hostname: &str, ip: std::net::IpAddr) {
        self.sync_transport(now);
        if self.closed {
            return;
        }
        self.transport.resolve_remote_hostname(hostname, ip, now);
        self.pull_transport_events();
    }

    /// Registers a listening TCP socket as an ICE-TCP passive host
    /// candidate (RFC 6544); signaled like [`Self::add_host_candidate`].
    /// Messages from connections it accepts go to
    /// [`Self::handle_receive_over`] with [`Protocol::Tcp`] and this address
    /// as `local`, one RFC 4571 frame each.
    pub fn add_tcp_host_candidate(&mut self, now: Instant, addr: SocketAddr) {
        self.sync_transport(now);
        if self.closed {
            return;
        }
        if let Some(line) = self.transport.add_host_over(addr, Protocol::Tcp) {
            self.add_local_candidate(line);
        }
    }

    /// Counts an ICE-TCP connection the I/O layer closed as it accepted it
    /// (over its limit); it shows in [`Transport::counters`].
    pub fn count_refused_tcp_connection(&mut self) {
        self.transport.count_refused_tcp_connection();
    }

    /// Adds a STUN server (its URL resolved by the caller): a
    /// server-reflexive candidate is gathered out of every UDP host socket.
    /// Before a local description it is remembered until ICE starts.
    pub fn add_stun_server(&mut self, now: Instant, addr: SocketAddr, url: &str) {
        self.sync_transport(now);
        self.transport.add_stun_server(addr, url);
        self.pull_transport_events();
    }

    /// Adds a TURN server (its URL resolved by the caller; TLS is
    /// [`Protocol::Tcp`] here, the caller wraps the connection).
    pub fn add_turn_server(
        &mut self,
        now: Instant,
        addr: SocketAddr,
        proto: Protocol,
        username: &str,
        credential: &str,
        url: &str,
    ) {
        self.sync_transport(now);
        self.transport
            .add_turn_server(addr, proto, username, credential, url);
        self.pull_transport_events();
    }

    /// A configured server could not be used (name not resolved, …):
    /// queues an `icecandidateerror`.
    pub fn report_ice_server_error(&mut self, url: &str, error_code: u16, error_text: &str) {
        self.transport
            .report_server_error(url, error_code, error_text);
        self.pull_transport_events();
    }

    /// Sets the ICE agent's configuration (timeouts, pacing) before ICE
    /// starts; role, credentials and `relay_only` (from
    /// `iceTransportPolicy`) are filled in by the connection.
    pub fn set_ice_config(&mut self, config: rtcpeer_ice::IceConfig) {
        self.transport.set_ice_config(config);
    }

    /// One message from a TCP or TLS connection to a TURN server (`local`
    /// is the host socket the transmit for that server named).
    pub fn handle_receive_over(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        proto: Protocol,
        data: &[u8],
    ) {
        self.sync_transport(now);
        self.transport
            .handle_receive_over(now, local, remote, proto, data);
        self.pull_transport_events();
    }

    /// Every local socket has been registered.
    pub fn end_of_local_candidates(&mut self, now: Instant) {
        self.sync_transport(now);
        self.transport.end_of_local_candidates();
        self.transport.flush();
        self.pull_transport_events();
    }

    /// One datagram arrived on the socket bound to `local`.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        data: &[u8],
    ) {
        self.sync_transport(now);
        self.transport.handle_receive(now, local, remote, data);
        self.pump_media(now);
        self.pull_transport_events();
    }

    /// Runs due timers, and applies what signaling changed since the last
    /// call (the async layer calls this after every API call too).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.sync_transport(now);
        self.transport.handle_timeout(now);
        self.pump_media(now);
        self.pull_transport_events();
    }

    /// When [`PeerConnection::handle_timeout`] should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.transport.poll_timeout(), self.media_timeout()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transport.poll_transmit()
    }

    /// Brings the transport up to date with the descriptions: ICE starts
    /// with the local credentials, the negotiated parameters and remote
    /// candidates are handed over.
    fn sync_transport(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if !self.transport.ice_started() {
            if let Some(local) = self.local_applied() {
                let controlling = local.desc.sdp_type == SdpType::Offer;
                let (u, p) = (self.ice_ufrag.clone(), self.ice_pwd.clone());
                let mut config = self.transport.ice_config().clone();
                config.relay_only = self.config.ice_transport_policy == IceTransportPolicy::Relay;
                self.transport.set_ice_config(config);
                self.transport.start_ice(&u, &p, controlling, now);
                self.ice_restart_requested = false;
            } else if self.config.ice_candidate_pool_size > 0 {
                // iceCandidatePoolSize: gather now with the credentials the
                // first description will carry; the role comes with it.
                let (u, p) = (self.ice_ufrag.clone(), self.ice_pwd.clone());
                let mut config = self.transport.ice_config().clone();
                config.relay_only = self.config.ice_transport_policy == IceTransportPolicy::Relay;
                self.transport.set_ice_config(config);
                self.transport.start_ice(&u, &p, true, now);
                self.pool_role_pending = true;
            }
        }
        if !self.transport.ice_started() {
            return;
        }
        if self.take_ice_restart() {
            // Our new local description restarts ICE.
            let (u, p) = (self.ice_ufrag.clone(), self.ice_pwd.clone());
            self.transport.restart_ice(&u, &p, now);
        }
        if !self.transport.is_configured() {
            if let Some(params) = self.transport_parameters() {
                self.transport.configure(params, now);
                self.remote_candidates_dirty = true;
            }
        } else if !self.pending_ice_restart {
            // A remote description of a new ICE generation (after our
            // answer to a remote restart, or the answer to ours).
            if let Some(params) = self.transport_parameters() {
                if self.transport.remote_ice_credentials()
                    != Some((params.remote_ufrag.as_str(), params.remote_pwd.as_str()))
                {
                    self.transport.configure(params, now);
                    self.remote_candidates_dirty = true;
                }
            }
        }
        if self.transport.is_configured() && self.remote_candidates_dirty {
            self.remote_candidates_dirty = false;
            for (_, c) in self.remote_candidates() {
                self.transport.add_remote_candidate(&c.to_string());
            }
            if self.remote_end_of_candidates {
                self.transport.end_of_remote_candidates();
            }
        }
    }

    /// Turns transport events into W3C events.
    fn pull_transport_events(&mut self) {
        while let Some(e) = self.transport.poll_event() {
            match e {
                TransportEvent::LocalCandidate(line) => self.add_local_candidate(line),
                TransportEvent::GatheringComplete => self.local_gathering_complete(),
                TransportEvent::CandidateError(e) => {
                    if !self.closed {
                        self.events.push_back(Event::IceCandidateError(e));
                    }
                }
                TransportEvent::IceConnectionState(s) => self.set_ice_connection_state(s),
                TransportEvent::ConnectionState(s) => self.set_connection_state(s),
                TransportEvent::DtlsState(s) => {
                    if !self.closed {
                        self.events.push_back(Event::DtlsStateChange(s));
                    }
                }
                TransportEvent::DtlsError { detail, message } => {
                    if !self.closed {
                        self.events.push_back(Event::DtlsError { detail, message });
                    }
                }
                TransportEvent::SctpState(s) => {
                    if !self.closed {
                        self.events.push_back(Event::SctpStateChange(s));
                    }
                }
                TransportEvent::DataChannel(e) => {
                    let event = match e {
                        DataChannelEvent::ChannelOpened(id) => Event::DataChannel(id),
                        DataChannelEvent::Open(id) => Event::DataChannelOpen(id),
                        DataChannelEvent::Message {
                            channel,
                            binary,
                            data,
                        } => Event::DataChannelMessage {
                            channel,
                            binary,
                            data,
                        },
                        DataChannelEvent::Closing(id) => Event::DataChannelClosing(id),
                        DataChannelEvent::Closed(id) => Event::DataChannelClose(id),
                        DataChannelEvent::BufferedAmountLow(id) => {
                            Event::DataChannelBufferedAmountLow(id)
                        }
                        DataChannelEvent::Error { channel, error } => {
                            Event::DataChannelError { channel, error }
                        }
                    };
                    if !self.closed {
                        self.events.push_back(event);
                    }
                }
            }
        }
    }
}
