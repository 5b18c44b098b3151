//! The little DER that key detection needs: reading the algorithm of a
//! PKCS#8 PrivateKeyInfo or a SubjectPublicKeyInfo, and writing an SPKI.

pub const TAG_INTEGER: u8 = 0x02;
pub const TAG_BIT_STRING: u8 = 0x03;
pub const TAG_NULL: u8 = 0x05;
pub const TAG_OID: u8 = 0x06;
pub const TAG_SEQUENCE: u8 = 0x30;

/// Content octets of the object identifiers used here.
pub const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
pub const OID_PRIME256V1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
pub const OID_SECP384R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
pub const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
pub const OID_RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
pub const OID_RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];

/// Splits one TLV off `input`, returning its tag, content and the rest.
/// Only definite lengths of up to four octets occur in keys.
pub fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (length, &rest[count..])
    };
    if rest.len() < length {
        return None;
    }
    Some((tag, &rest[..length], &rest[length..]))
}

/// Reads a TLV that must carry `tag`.
pub fn expect(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    match read_tlv(input)? {
        (found, content, rest) if found == tag => Some((content, rest)),
        _ => None,
    }
}

pub fn write_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// An AlgorithmIdentifier: the algorithm OID and, when present, a
/// parameter that is itself an OID (the named curve of EC keys).
pub struct AlgorithmIdentifier<'a> {
    pub oid: &'a [u8],
    pub parameter_oid: Option<&'a [u8]>,
}

pub fn read_algorithm_identifier(content: &[u8]) -> Option<AlgorithmIdentifier<'_>> {
    let (oid, rest) = expect(content, TAG_OID)?;
    let parameter_oid = match read_tlv(rest) {
        Some((TAG_OID, parameter, _)) => Some(parameter),
        _ => None,
    };
    Some(AlgorithmIdentifier { oid, parameter_oid })
}

/// Reads the AlgorithmIdentifier of a PKCS#8 PrivateKeyInfo
/// (`SEQUENCE { version INTEGER, algorithm AlgorithmIdentifier, ... }`).
pub fn pkcs8_algorithm(der: &[u8]) -> Option<AlgorithmIdentifier<'_>> {
    let (info, _) = expect(der, TAG_SEQUENCE)?;
    let (_, rest) = expect(info, TAG_INTEGER)?;
    let (algorithm, _) = expect(rest, TAG_SEQUENCE)?;
    read_algorithm_identifier(algorithm)
}

/// Splits a SubjectPublicKeyInfo into its AlgorithmIdentifier and the
/// public key bits (without the BIT STRING's unused-bits octet).
pub fn spki_parts(der: &[u8]) -> Option<(AlgorithmIdentifier<'_>, &[u8])> {
    let (info, trailing) = expect(der, TAG_SEQUENCE)?;
    if !trailing.is_empty() {
        return None;
    }
    let (algorithm, rest) = expect(info, TAG_SEQUENCE)?;
    let (bits, _) = expect(rest, TAG_BIT_STRING)?;
    let (&unused, key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    Some((read_algorithm_identifier(algorithm)?, key))
}

/// Builds a SubjectPublicKeyInfo from an algorithm OID, an optional
/// parameter (`None` writes no parameter, as Ed25519 requires) and the key.
pub fn build_spki(oid: &[u8], parameter: Option<Vec<u8>>, key: &[u8]) -> Vec<u8> {
    let mut algorithm = write_tlv(TAG_OID, oid);
    if let Some(parameter) = parameter {
        algorithm.extend_from_slice(&parameter);
    }
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    let mut info = write_tlv(TAG_SEQUENCE, &algorithm);
    info.extend_from_slice(&write_tlv(TAG_BIT_STRING, &bits));
    write_tlv(TAG_SEQUENCE, &info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_round_trip() {
        let content = vec![7u8; 300];
        let encoded = write_tlv(TAG_SEQUENCE, &content);
        assert_eq!(&encoded[..4], &[0x30, 0x82, 0x01, 0x2c]);
        let (tag, read, rest) = read_tlv(&encoded).unwrap();
        assert_eq!(tag, TAG_SEQUENCE);
        assert_eq!(read, &content[..]);
        assert!(rest.is_empty());
    }

    #[test]
    fn truncated_input_is_rejected() {
        assert!(read_tlv(&[0x30, 0x05, 0x01]).is_none());
        assert!(read_tlv(&[0x30, 0x82, 0x01]).is_none());
    }
}
