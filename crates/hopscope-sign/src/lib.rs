//! HTTP Message Signatures (RFC 9421), `Content-Digest` (RFC 9530) and
//! compact JWS signing for the destination and originator simulators.
