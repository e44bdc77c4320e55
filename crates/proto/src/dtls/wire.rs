//! Small reads of the DTLS wire format that the engine does not expose.
//!
//! The cipher suite is chosen in the ServerHello, which both DTLS 1.2 and 1.3
//! send in plaintext (epoch 0). We read it from the datagrams passing through
//! (received by a client, sent by a server) to report `dtlsCipher` in stats.

/// Whether a datagram's first byte is in the DTLS range of RFC 7983 (20..=63).
pub(crate) fn is_dtls(datagram: &[u8]) -> bool {
    matches!(datagram.first(), Some(20..=63))
}

const CONTENT_HANDSHAKE: u8 = 22;
const HANDSHAKE_SERVER_HELLO: u8 = 2;
/// content type (1) + version (2) + epoch (2) + sequence number (6) + length (2).
const RECORD_HEADER_LEN: usize = 13;
/// msg_type (1) + length (3) + message_seq (2) + fragment_offset (3) + fragment_length (3).
const HANDSHAKE_HEADER_LEN: usize = 12;

/// Finds a ServerHello among the plaintext records of `datagram` and returns
/// its cipher suite. Stops at the first record it cannot walk (for example a
/// DTLS 1.3 encrypted record with the short unified header).
pub(crate) fn server_hello_cipher_suite(datagram: &[u8]) -> Option<u16> {
    let mut rest = datagram;
    while rest.len() >= RECORD_HEADER_LEN {
        let content_type = rest[0];
        if !(20..=25).contains(&content_type) {
            return None;
        }
        let len = u16::from_be_bytes([rest[11], rest[12]]) as usize;
        let body = rest.get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + len)?;
        if content_type == CONTENT_HANDSHAKE {
            if let Some(suite) = server_hello_in_record(body) {
                return Some(suite);
            }
        }
        rest = &rest[RECORD_HEADER_LEN + len..];
    }
    None
}

fn server_hello_in_record(body: &[u8]) -> Option<u16> {
    if body.len() < HANDSHAKE_HEADER_LEN || body[0] != HANDSHAKE_SERVER_HELLO {
        return None;
    }
    let fragment_offset = u32::from_be_bytes([0, body[6], body[7], body[8]]);
    if fragment_offset != 0 {
        return None;
    }
    let hello = &body[HANDSHAKE_HEADER_LEN..];
    // server_version (2) + random (32), then session id <0..32>, then the suite.
    let session_id_len = *hello.get(34)? as usize;
    let at = 35 + session_id_len;
    let suite = hello.get(at..at + 2)?;
    Some(u16::from_be_bytes([suite[0], suite[1]]))
}

/// The IANA name of a cipher suite dimpl can negotiate (as browsers report `dtlsCipher`).
pub(crate) fn cipher_suite_name(suite: u16) -> Option<&'static str> {
    Some(match suite {
        0xC02B => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        0xC02C => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        0xCCA9 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        0xC0A8 => "TLS_PSK_WITH_AES_128_CCM_8",
        0x1301 => "TLS_AES_128_GCM_SHA256",
        0x1302 => "TLS_AES_256_GCM_SHA384",
        0x1303 => "TLS_CHACHA20_POLY1305_SHA256",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
        let mut r = vec![content_type, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1];
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    fn server_hello(suite: u16, session_id: &[u8]) -> Vec<u8> {
        let mut hello = vec![0xfe, 0xfd];
        hello.extend_from_slice(&[7; 32]);
        hello.push(session_id.len() as u8);
        hello.extend_from_slice(session_id);
        hello.extend_from_slice(&suite.to_be_bytes());
        hello.push(0);
        let len = (hello.len() as u32).to_be_bytes();
        let mut hs = vec![
            HANDSHAKE_SERVER_HELLO,
            len[1],
            len[2],
            len[3],
            0,
            0,
            0,
            0,
            0,
        ];
        hs.extend_from_slice(&[len[1], len[2], len[3]]);
        hs.extend_from_slice(&hello);
        hs
    }

    #[test]
    fn finds_the_suite_after_other_records() {
        let mut datagram = record(21, &[1, 0]);
        datagram.extend(record(22, &server_hello(0xC02B, &[1, 2, 3])));
        assert_eq!(server_hello_cipher_suite(&datagram), Some(0xC02B));
        assert_eq!(
            cipher_suite_name(0xC02B),
            Some("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
        );
    }

    #[test]
    fn ignores_other_messages_and_truncation() {
        let mut hello = server_hello(0x1301, &[]);
        hello[0] = 1; // ClientHello
        assert_eq!(server_hello_cipher_suite(&record(22, &hello)), None);
        let full = record(22, &server_hello(0x1301, &[]));
        for cut in 0..full.len() {
            assert_eq!(server_hello_cipher_suite(&full[..cut]), None, "cut {cut}");
        }
        assert_eq!(server_hello_cipher_suite(&full), Some(0x1301));
        assert_eq!(server_hello_cipher_suite(&[0x2f, 1, 2]), None);
    }

    #[test]
    fn dtls_range_follows_rfc7983() {
        assert!(is_dtls(&[20]));
        assert!(is_dtls(&[63]));
        assert!(!is_dtls(&[0]));
        assert!(!is_dtls(&[64]));
        assert!(!is_dtls(&[128]));
        assert!(!is_dtls(&[]));
    }
}
