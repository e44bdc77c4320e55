//! Copy-and-paste signaling: a session description as one compact line.
//!
//! A token is `base64url(deflate(t + "\n" + sdp))` without padding, where
//! `t` is `o` (offer) or `a` (answer). Whitespace inside a pasted token is
//! ignored; a token that does not decode, or inflates beyond
//! [`MAX_SDP`] bytes, is refused.

use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use rtcpeer::{SdpType, SessionDescription};

use crate::common::{fail, CliResult};

/// The largest SDP a token may carry.
pub const MAX_SDP: usize = 64 * 1024;

/// Encodes an offer or answer as a token.
pub fn encode(desc: &SessionDescription) -> CliResult<String> {
    let kind = match desc.sdp_type {
        SdpType::Offer => "o",
        SdpType::Answer => "a",
        other => {
            return fail(format!(
                "a token carries an offer or an answer, not {other:?}"
            ))
        }
    };
    let mut z = DeflateEncoder::new(Vec::new(), Compression::best());
    z.write_all(kind.as_bytes())?;
    z.write_all(b"\n")?;
    z.write_all(desc.sdp.as_bytes())?;
    Ok(URL_SAFE_NO_PAD.encode(z.finish()?))
}

/// Decodes a token; `want` is the type expected.
pub fn decode(token: &str, want: SdpType) -> CliResult<SessionDescription> {
    let compact: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    let raw = URL_SAFE_NO_PAD
        .decode(compact.as_bytes())
        .map_err(|e| format!("not a token ({e})"))?;
    let mut text = Vec::new();
    DeflateDecoder::new(raw.as_slice())
        .take(MAX_SDP as u64 + 3)
        .read_to_end(&mut text)
        .map_err(|e| format!("not a token ({e})"))?;
    if text.len() > MAX_SDP + 2 {
        return fail("the token's description is too large");
    }
    let text = String::from_utf8(text).map_err(|_| "not a token (not UTF-8)")?;
    let (kind, sdp) = text.split_once('\n').ok_or("not a token (no type)")?;
    let got = match kind {
        "o" => SdpType::Offer,
        "a" => SdpType::Answer,
        _ => return fail("not a token (unknown type)"),
    };
    if got != want {
        return fail(format!("expected an {want:?} token, got an {got:?} token"));
    }
    Ok(SessionDescription {
        sdp_type: got,
        sdp: sdp.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_hostile_input() {
        let sdp =
            "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 AB:CD\r\n"
                .repeat(8);
        let offer = SessionDescription::offer(sdp.clone());
        let token = encode(&offer).unwrap();
        assert!(
            token.len() < sdp.len() / 2,
            "compact: {} vs {}",
            token.len(),
            sdp.len()
        );
        assert!(!token.contains(['+', '/', '=', '\n']));
        // Line breaks from a paste are ignored.
        let pasted = format!("{}\n  {}\n", &token[..10], &token[10..]);
        let back = decode(&pasted, SdpType::Offer).unwrap();
        assert_eq!(back.sdp, sdp);
        assert!(decode(&token, SdpType::Answer).is_err());
        assert!(decode("!!!", SdpType::Offer).is_err());
        assert!(decode("", SdpType::Offer).is_err());
        assert!(decode(&URL_SAFE_NO_PAD.encode(b"garbage"), SdpType::Offer).is_err());
        // A deflate bomb is cut off.
        let mut z = DeflateEncoder::new(Vec::new(), Compression::best());
        z.write_all(b"o\n").unwrap();
        z.write_all(&vec![b'a'; 10 * MAX_SDP]).unwrap();
        let bomb = URL_SAFE_NO_PAD.encode(z.finish().unwrap());
        assert!(decode(&bomb, SdpType::Offer).is_err());
    }
}
