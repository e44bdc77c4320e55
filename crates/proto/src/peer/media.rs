//! addTrack, removeTrack, addTransceiver and the transceiver setters
//! (webrtc-pc §5.1–5.4).

use super::*;
use crate::transceiver::SendParameters;

impl PeerConnection {
    /// `addTrack(track, ...streams)`: reuses a transceiver that has never sent
    /// and has no track, as the spec says, or makes a new one.
    pub fn add_track(&mut self, track: Track, streams: Vec<String>) -> Result<TransceiverId> {
        self.check_open()?;
        if self
            .transceivers
            .iter()
            .any(|t| !t.stopped && t.sender.track.as_ref().is_some_and(|s| s.id == track.id))
        {
            return Err(Error::invalid_access(format!(
                "track {:?} already has a sender",
                track.id
            )));
        }
        let reuse = self.transceivers.iter().position(|t| {
            t.kind == track.kind
                && t.sender.track.is_none()
                && !t.stopped
                && !t.stopping
                && !t.has_sent()
        });
        let id = match reuse {
            Some(i) => {
                let t = &mut self.transceivers[i];
                t.sender.track = Some(track);
                t.sender.streams = streams;
                t.direction = match t.direction {
                    Direction::RecvOnly => Direction::SendRecv,
                    Direction::Inactive => Direction::SendOnly,
                    d => d,
                };
                t.added_by_add_track = true;
                t.id
            }
            None => {
                let kind = track.kind;
                let id = self.new_transceiver(
                    kind,
                    Some(track),
                    Direction::SendRecv,
                    streams,
                    Vec::new(),
                );
                self.transceiver_mut(id)?.added_by_add_track = true;
                id
            }
        };
        self.update_negotiation_needed();
        Ok(id)
    }

    /// `removeTrack(sender)`: the sender stops sending; the direction loses its send half.
    pub fn remove_track(&mut self, sender: TransceiverId) -> Result<()> {
        self.check_open()?;
        let t = self
            .transceivers
            .iter_mut()
            .find(|t| t.id == sender)
            .ok_or_else(|| {
                Error::invalid_access("the sender was not created by this connection")
            })?;
        if t.stopped || t.sender.track.is_none() {
            return Ok(());
        }
        t.sender.track = None;
        t.direction = match t.direction {
            Direction::SendRecv => Direction::RecvOnly,
            Direction::SendOnly => Direction::Inactive,
            d => d,
        };
        self.update_negotiation_needed();
        Ok(())
    }

    /// `addTransceiver(trackOrKind, init)`.
    pub fn add_transceiver(
        &mut self,
        what: TrackOrKind,
        init: TransceiverInit,
    ) -> Result<TransceiverId> {
        self.check_open()?;
        let direction = init.direction.unwrap_or(Direction::SendRecv);
        if direction == Direction::Stopped {
            return Err(Error::type_error("a new transceiver cannot be stopped"));
        }
        let (kind, track) = match what {
            TrackOrKind::Track(t) => (t.kind, Some(t)),
            TrackOrKind::Kind(k) => (k, None),
        };
        validate_send_encodings(kind, &init.send_encodings)?;
        let mut encodings = init.send_encodings;
        if kind == MediaKind::Audio && encodings.len() > 1 {
            encodings.truncate(1);
        }
        let id = self.new_transceiver(kind, track, direction, init.streams, encodings);
        self.update_negotiation_needed();
        Ok(id)
    }

    /// `transceiver.direction = d`.
    pub fn set_direction(&mut self, id: TransceiverId, d: Direction) -> Result<()> {
        let t = self.transceiver_mut(id)?;
        if t.stopping || t.stopped {
            return Err(Error::invalid_state("the transceiver is stopped"));
        }
        if d == Direction::Stopped {
            return Err(Error::type_error("use stop() to stop a transceiver"));
        }
        if t.direction != d {
            t.direction = d;
            self.update_negotiation_needed();
        }
        Ok(())
    }

    /// `transceiver.stop()`.
    pub fn stop_transceiver(&mut self, id: TransceiverId) -> Result<()> {
        self.check_open()?;
        let t = self.transceiver_mut(id)?;
        if t.stopping || t.stopped {
            return Ok(());
        }
        t.stopping = true;
        t.sender.track = None;
        if t.mline.is_none() {
            // Never negotiated: nothing to reject.
            t.stopped = true;
        }
        self.update_negotiation_needed();
        Ok(())
    }

    /// `sender.replaceTrack(track)`: no renegotiation (kinds must match).
    pub fn replace_track(&mut self, id: TransceiverId, track: Option<Track>) -> Result<()> {
        self.check_open()?;
        let t = self.transceiver_mut(id)?;
        if t.stopping || t.stopped {
            return Err(Error::invalid_state("the transceiver is stopped"));
        }
        if let Some(tr) = &track {
            if tr.kind != t.kind {
                return Err(Error::type_error(
                    "replaceTrack with a track of another kind",
                ));
            }
        }
        t.sender.track = track;
        Ok(())
    }

    /// `sender.setStreams(...streams)`.
    pub fn set_streams(&mut self, id: TransceiverId, streams: Vec<String>) -> Result<()> {
        self.check_open()?;
        let t = self.transceiver_mut(id)?;
        if t.stopping || t.stopped {
            return Err(Error::invalid_state("the transceiver is stopped"));
        }
        t.sender.streams = streams;
        self.update_negotiation_needed();
        Ok(())
    }

    /// `sender.getParameters()`: a new `transactionId` each time.
    pub fn get_send_parameters(&mut self, id: TransceiverId) -> Result<SendParameters> {
        let t = self.transceiver_mut(id)?;
        let transaction_id = format!("{:016x}", random_u64());
        t.sender.last_transaction_id = Some(transaction_id.clone());
        Ok(SendParameters {
            transaction_id,
            encodings: t.sender.encodings.clone(),
            codecs: t.negotiated_codecs.clone(),
            header_extensions: t.negotiated_extensions.clone(),
        })
    }

    /// `sender.setParameters(parameters)` (webrtc-pc §5.2): only after
    /// `getParameters()` with its `transactionId` (else
    /// `InvalidStateError` / `InvalidModificationError`), with the same
    /// encodings (count, rid, SSRCs), codecs and header extensions (else
    /// `InvalidModificationError`); `RangeError` for a bad
    /// `scaleResolutionDownBy`/`maxFramerate`. `active: false` stops the
    /// encoding's packets at once; `maxBitrate` is kept for the application
    /// (we do not encode).
    pub fn set_send_parameters(&mut self, id: TransceiverId, p: SendParameters) -> Result<()> {
        self.check_open()?;
        let t = self.transceiver_mut(id)?;
        if t.stopping || t.stopped {
            return Err(Error::invalid_state("the transceiver is stopped"));
        }
        let Some(last) = t.sender.last_transaction_id.clone() else {
            return Err(Error::invalid_state("call getParameters() first"));
        };
        if p.transaction_id != last {
            return Err(Error::invalid_modification(
                "transactionId is not the one of the last getParameters()",
            ));
        }
        let same_layout = p.encodings.len() == t.sender.encodings.len()
            && p.encodings
                .iter()
                .zip(&t.sender.encodings)
                .all(|(a, b)| a.rid == b.rid && a.ssrc == b.ssrc && a.rtx_ssrc == b.rtx_ssrc);
        if !same_layout {
            return Err(Error::invalid_modification(
                "encodings cannot be added, removed or renamed",
            ));
        }
        if p.codecs != t.negotiated_codecs || p.header_extensions != t.negotiated_extensions {
            return Err(Error::invalid_modification(
                "codecs and headerExtensions are read-only",
            ));
        }
        crate::transceiver::validate_send_encodings(t.kind, &p.encodings)?;
        t.sender.encodings = p.encodings;
        t.sender.last_transaction_id = None;
        self.media.update(&self.transceivers);
        Ok(())
    }

    /// `transceiver.setCodecPreferences(codecs)`: each codec must be one we support.
    pub fn set_codec_preferences(&mut self, id: TransceiverId, prefs: Vec<Codec>) -> Result<()> {
        let kind = self.transceiver_mut(id)?.kind;
        let supported = codecs::default_codecs(kind, true);
        for p in &prefs {
            if !supported.iter().any(|s| s.matches(p)) {
                return Err(Error::invalid_modification(format!(
                    "codec {} is not supported for {kind}",
                    p.mime_type
                )));
            }
        }
        let t = self.transceiver_mut(id)?;
        t.codec_preferences = prefs;
        Ok(())
    }

    /// A data channel was created: the next offer needs an m=application section.
    pub fn note_data_channel(&mut self) -> Result<()> {
        self.check_open()?;
        let first = !self.data_wanted;
        self.data_wanted = true;
        if first {
            self.update_negotiation_needed();
        }
        Ok(())
    }

    /// The mid of the data channel m-section, once negotiated or proposed.
    pub fn data_mid(&self) -> Option<&str> {
        self.data_mid.as_deref()
    }
}

impl Transceiver {
    /// Whether the sender has ever been negotiated to send (addTrack may not reuse it then).
    pub fn has_sent(&self) -> bool {
        self.current_direction
            .is_some_and(|d| matches!(d, Direction::SendRecv | Direction::SendOnly))
    }
}
