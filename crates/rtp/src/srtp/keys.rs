//! Protection profiles, the SRTP key derivation function (RFC 3711 §4.3) and
//! the split of DTLS-exported keying material (RFC 5764 §4.2).

use aws_lc_rs::aead::{LessSafeKey, UnboundKey, AES_128_GCM, AES_256_GCM};
use aws_lc_rs::cipher::{EncryptingKey, EncryptionContext, UnboundCipherKey, AES_128, AES_256};
use aws_lc_rs::hmac;
use aws_lc_rs::iv::FixedLength;

use crate::Error;

/// An SRTP protection profile (the DTLS-SRTP names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SrtpProfile {
    /// SRTP_AES128_CM_HMAC_SHA1_80 (0x0001).
    Aes128CmHmacSha1_80,
    /// SRTP_AES128_CM_HMAC_SHA1_32 (0x0002): 32-bit RTP tag, 80-bit RTCP tag.
    Aes128CmHmacSha1_32,
    /// SRTP_AEAD_AES_128_GCM (0x0007).
    AeadAes128Gcm,
    /// SRTP_AEAD_AES_256_GCM (0x0008).
    AeadAes256Gcm,
}

impl SrtpProfile {
    /// Master (and session) encryption key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            SrtpProfile::AeadAes256Gcm => 32,
            _ => 16,
        }
    }
    /// Master (and session) salt length in bytes.
    pub fn salt_len(self) -> usize {
        if self.is_aead() {
            12
        } else {
            14
        }
    }
    /// True for the AES-GCM profiles.
    pub fn is_aead(self) -> bool {
        matches!(
            self,
            SrtpProfile::AeadAes128Gcm | SrtpProfile::AeadAes256Gcm
        )
    }
    /// Bytes SRTP appends to an RTP packet (the tag).
    pub fn rtp_tag_len(self) -> usize {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => 10,
            SrtpProfile::Aes128CmHmacSha1_32 => 4,
            _ => 16,
        }
    }
    /// Tag bytes on SRTCP (the E+index word not counted).
    pub fn rtcp_tag_len(self) -> usize {
        if self.is_aead() {
            16
        } else {
            10
        }
    }
    /// Most bytes protecting an RTP packet adds.
    pub fn rtp_overhead(self) -> usize {
        self.rtp_tag_len()
    }
    /// Most bytes protecting an RTCP packet adds (tag + E/index word).
    pub fn rtcp_overhead(self) -> usize {
        self.rtcp_tag_len() + 4
    }
    /// The DTLS-SRTP protection profile id (RFC 5764 §4.1.2, RFC 7714 §14.2).
    pub fn id(self) -> u16 {
        match self {
            SrtpProfile::Aes128CmHmacSha1_80 => 0x0001,
            SrtpProfile::Aes128CmHmacSha1_32 => 0x0002,
            SrtpProfile::AeadAes128Gcm => 0x0007,
            SrtpProfile::AeadAes256Gcm => 0x0008,
        }
    }
    /// The profile with DTLS-SRTP id `id`.
    pub fn from_id(id: u16) -> Option<Self> {
        Some(match id {
            0x0001 => SrtpProfile::Aes128CmHmacSha1_80,
            0x0002 => SrtpProfile::Aes128CmHmacSha1_32,
            0x0007 => SrtpProfile::AeadAes128Gcm,
            0x0008 => SrtpProfile::AeadAes256Gcm,
            _ => return None,
        })
    }
    /// Bytes of keying material to export from DTLS: 2 × (key + salt).
    pub fn keying_material_len(self) -> usize {
        2 * (self.key_len() + self.salt_len())
    }
}

/// One side's master key and salt.
#[derive(Clone, PartialEq, Eq)]
pub struct MasterKey {
    /// Master key.
    pub key: Vec<u8>,
    /// Master salt.
    pub salt: Vec<u8>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Splits DTLS-exported keying material (label "EXTRACTOR-dtls_srtp") into
/// `(client, server)` master keys: `client_key | server_key | client_salt | server_salt`.
/// The DTLS client protects what it sends with the client key.
pub fn split_keying_material(
    profile: SrtpProfile,
    material: &[u8],
) -> Result<(MasterKey, MasterKey), Error> {
    let (k, s) = (profile.key_len(), profile.salt_len());
    if material.len() != profile.keying_material_len() {
        return Err(Error::BadKeyLength);
    }
    let client = MasterKey {
        key: material[..k].to_vec(),
        salt: material[2 * k..2 * k + s].to_vec(),
    };
    let server = MasterKey {
        key: material[k..2 * k].to_vec(),
        salt: material[2 * k + s..].to_vec(),
    };
    Ok((client, server))
}

/// KDF labels (RFC 3711 §4.3.2).
pub(crate) const LABEL_RTP_ENC: u8 = 0;
pub(crate) const LABEL_RTP_AUTH: u8 = 1;
pub(crate) const LABEL_RTP_SALT: u8 = 2;
pub(crate) const LABEL_RTCP_ENC: u8 = 3;
pub(crate) const LABEL_RTCP_AUTH: u8 = 4;
pub(crate) const LABEL_RTCP_SALT: u8 = 5;

fn ctr_key(key: &[u8]) -> Result<EncryptingKey, Error> {
    let alg = match key.len() {
        16 => &AES_128,
        32 => &AES_256,
        _ => return Err(Error::BadKeyLength),
    };
    let k = UnboundCipherKey::new(alg, key).map_err(|_| Error::Crypto)?;
    EncryptingKey::ctr(k).map_err(|_| Error::Crypto)
}

/// AES-CM PRF with key derivation rate 0: `out` = AES-CTR keystream under the
/// master key with IV = (master_salt XOR (label << 48)) << 16.
/// A 12-byte (AEAD) salt is zero-padded on the right to 14 bytes.
pub(crate) fn derive(
    master_key: &[u8],
    master_salt: &[u8],
    label: u8,
    out: &mut [u8],
) -> Result<(), Error> {
    if master_salt.len() > 14 {
        return Err(Error::BadKeyLength);
    }
    let mut iv = [0u8; 16];
    iv[..master_salt.len()].copy_from_slice(master_salt);
    iv[7] ^= label;
    out.fill(0);
    let k = ctr_key(master_key)?;
    k.less_safe_encrypt(out, EncryptionContext::Iv128(FixedLength::from(iv)))
        .map_err(|_| Error::Crypto)?;
    Ok(())
}

/// The cipher of one direction (RTP or RTCP) of a session.
#[allow(clippy::large_enum_variant)] // one per context, never moved per packet
pub(crate) enum Cipher {
    /// AES counter mode with HMAC-SHA1 authentication.
    CmHmac { ctr: EncryptingKey, auth: hmac::Key },
    /// AES-GCM.
    Gcm(LessSafeKey),
}

/// Session keys for RTP or RTCP.
pub(crate) struct SessionKeys {
    pub cipher: Cipher,
    /// Session salt, 14 bytes for AES-CM, 12 for GCM (rest zero).
    pub salt: [u8; 14],
}

impl SessionKeys {
    /// Builds ciphers from session keys directly (used by the RFC vector tests too).
    pub fn from_session(
        profile: SrtpProfile,
        key: &[u8],
        salt: &[u8],
        auth: &[u8],
    ) -> Result<Self, Error> {
        if key.len() != profile.key_len() || salt.len() != profile.salt_len() {
            return Err(Error::BadKeyLength);
        }
        let cipher = if profile.is_aead() {
            let alg = if key.len() == 16 {
                &AES_128_GCM
            } else {
                &AES_256_GCM
            };
            Cipher::Gcm(LessSafeKey::new(
                UnboundKey::new(alg, key).map_err(|_| Error::Crypto)?,
            ))
        } else {
            Cipher::CmHmac {
                ctr: ctr_key(key)?,
                auth: hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, auth),
            }
        };
        let mut s = [0u8; 14];
        s[..salt.len()].copy_from_slice(salt);
        Ok(SessionKeys { cipher, salt: s })
    }

    /// Derives the session keys of one direction from the master key.
    pub fn derive(
        profile: SrtpProfile,
        master_key: &[u8],
        master_salt: &[u8],
        rtcp: bool,
    ) -> Result<Self, Error> {
        if master_key.len() != profile.key_len() || master_salt.len() != profile.salt_len() {
            return Err(Error::BadKeyLength);
        }
        let (le, la, ls) = if rtcp {
            (LABEL_RTCP_ENC, LABEL_RTCP_AUTH, LABEL_RTCP_SALT)
        } else {
            (LABEL_RTP_ENC, LABEL_RTP_AUTH, LABEL_RTP_SALT)
        };
        let mut key = [0u8; 32];
        let key = &mut key[..profile.key_len()];
        derive(master_key, master_salt, le, key)?;
        let mut salt = [0u8; 14];
        let salt = &mut salt[..profile.salt_len()];
        derive(master_key, master_salt, ls, salt)?;
        let mut auth = [0u8; 20];
        if !profile.is_aead() {
            derive(master_key, master_salt, la, &mut auth)?;
        }
        Self::from_session(profile, key, salt, &auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::hex;

    #[test]
    fn rfc3711_b3_key_derivation() {
        let mk = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
        let ms = hex("0EC675AD498AFEEBB6960B3AABE6");
        let mut key = [0u8; 16];
        derive(&mk, &ms, LABEL_RTP_ENC, &mut key).unwrap();
        assert_eq!(key.to_vec(), hex("C61E7A93744F39EE10734AFE3FF7A087"));
        let mut salt = [0u8; 14];
        derive(&mk, &ms, LABEL_RTP_SALT, &mut salt).unwrap();
        assert_eq!(salt.to_vec(), hex("30CBBC08863D8C85D49DB34A9AE1"));
        let mut auth = [0u8; 20];
        derive(&mk, &ms, LABEL_RTP_AUTH, &mut auth).unwrap();
        assert_eq!(
            auth.to_vec(),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4")
        );
    }

    #[test]
    fn aead_kdf_pads_the_12_byte_salt() {
        // Cross-checked value (libsrtp-compatible): label 2 XORed at byte 7 of a
        // zero-padded 14-byte salt.
        let key: Vec<u8> = (0..16).collect();
        let salt: Vec<u8> = (0x40..0x4c).collect();
        let mut out = [0u8; 12];
        derive(&key, &salt, LABEL_RTP_SALT, &mut out).unwrap();
        assert_eq!(out.to_vec(), hex("1fcd5d561e66dc49ec1c3ccb"));
    }

    #[test]
    fn keying_material_split_layout() {
        let p = SrtpProfile::Aes128CmHmacSha1_80;
        let m: Vec<u8> = (0..60).collect();
        let (c, s) = split_keying_material(p, &m).unwrap();
        assert_eq!(c.key, (0..16).collect::<Vec<u8>>());
        assert_eq!(s.key, (16..32).collect::<Vec<u8>>());
        assert_eq!(c.salt, (32..46).collect::<Vec<u8>>());
        assert_eq!(s.salt, (46..60).collect::<Vec<u8>>());
        assert!(split_keying_material(p, &m[..59]).is_err());
        assert_eq!(SrtpProfile::AeadAes256Gcm.keying_material_len(), 88);
        for p in [
            SrtpProfile::Aes128CmHmacSha1_80,
            SrtpProfile::Aes128CmHmacSha1_32,
            SrtpProfile::AeadAes128Gcm,
            SrtpProfile::AeadAes256Gcm,
        ] {
            assert_eq!(SrtpProfile::from_id(p.id()), Some(p));
        }
    }
}
