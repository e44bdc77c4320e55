//! The address attribute value format shared by MAPPED-ADDRESS and the
//! XOR-…-ADDRESS family (RFC 8489 §14.1–14.2).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::{TransactionId, MAGIC_COOKIE};

const FAMILY_V4: u8 = 0x01;
const FAMILY_V6: u8 = 0x02;

/// Decodes an address value; `xor` undoes the XOR with cookie and transaction id.
pub(crate) fn decode(value: &[u8], xor: Option<&TransactionId>) -> Option<SocketAddr> {
    if value.len() < 4 {
        return None;
    }
    let family = value[1];
    let mut port = u16::from_be_bytes([value[2], value[3]]);
    let cookie = MAGIC_COOKIE.to_be_bytes();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    match family {
        FAMILY_V4 if value.len() == 8 => {
            let mut ip = [value[4], value[5], value[6], value[7]];
            if xor.is_some() {
                for (b, c) in ip.iter_mut().zip(cookie) {
                    *b ^= c;
                }
            }
            Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port))
        }
        FAMILY_V6 if value.len() == 20 => {
            let mut ip = [0u8; 16];
            ip.copy_from_slice(&value[4..20]);
            if let Some(tid) = xor {
                let mask = xor_mask(tid);
                for (b, m) in ip.iter_mut().zip(mask) {
                    *b ^= m;
                }
            }
            Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port))
        }
        _ => None,
    }
}

/// Appends an address value; `xor` applies the XOR with cookie and transaction id.
pub(crate) fn encode(addr: &SocketAddr, xor: Option<&TransactionId>, out: &mut Vec<u8>) {
    let mut port = addr.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    match addr.ip() {
        IpAddr::V4(ip) => {
            out.extend_from_slice(&[0, FAMILY_V4]);
            out.extend_from_slice(&port.to_be_bytes());
            let mut b = ip.octets();
            if xor.is_some() {
                for (x, c) in b.iter_mut().zip(MAGIC_COOKIE.to_be_bytes()) {
                    *x ^= c;
                }
            }
            out.extend_from_slice(&b);
        }
        IpAddr::V6(ip) => {
            out.extend_from_slice(&[0, FAMILY_V6]);
            out.extend_from_slice(&port.to_be_bytes());
            let mut b = ip.octets();
            if let Some(tid) = xor {
                for (x, m) in b.iter_mut().zip(xor_mask(tid)) {
                    *x ^= m;
                }
            }
            out.extend_from_slice(&b);
        }
    }
}

/// Encoded length of an address value.
pub(crate) fn encoded_len(addr: &SocketAddr) -> usize {
    if addr.is_ipv4() {
        8
    } else {
        20
    }
}

fn xor_mask(tid: &TransactionId) -> [u8; 16] {
    let mut mask = [0u8; 16];
    mask[..4].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    mask[4..].copy_from_slice(tid.as_bytes());
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_round_trip_v4_and_v6() {
        let tid = TransactionId::from_bytes([0xA5; 12]);
        for addr in [
            "192.0.2.1:32853".parse::<SocketAddr>().unwrap(),
            "[2001:db8::1]:9".parse().unwrap(),
        ] {
            for xor in [None, Some(&tid)] {
                let mut v = Vec::new();
                encode(&addr, xor, &mut v);
                assert_eq!(v.len(), encoded_len(&addr));
                assert_eq!(decode(&v, xor), Some(addr));
            }
        }
    }

    #[test]
    fn rejects_bad_family_and_length() {
        assert_eq!(decode(&[0, 3, 0, 1, 1, 2, 3, 4], None), None);
        assert_eq!(decode(&[0, 1, 0, 1, 1, 2, 3], None), None);
        assert_eq!(decode(&[0, 2, 0, 1, 1, 2, 3, 4], None), None);
    }
}
