"""Response objects for http-message-signatures 3, read from the header
files that `curl -D` writes, and key helpers shared by the two scripts."""

import base64
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from http_message_signatures import algorithms


class FieldLines:
    """Header field lines in wire order, repeated names kept apart.

    http-message-signatures combines lines through ``items()`` and writes
    its Signature fields with item assignment, which replaces every line of
    that name.
    """

    def __init__(self, lines=None):
        self.lines = list(lines or [])

    def items(self):
        return list(self.lines)

    def __iter__(self):
        return iter(dict.fromkeys(name for name, _ in self.lines))

    def __contains__(self, name):
        return any(field.lower() == name.lower() for field, _ in self.lines)

    def __getitem__(self, name):
        values = [value for field, value in self.lines if field.lower() == name.lower()]
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def get(self, name, default=None):
        return self[name] if name in self else default

    def __setitem__(self, name, value):
        del self[name]
        self.lines.append((name, value))

    def __delitem__(self, name):
        self.lines = [(field, value) for field, value in self.lines if field.lower() != name.lower()]


class Response:
    """The response interface the library's component resolver reads: a
    status code, header fields and an optional related request."""

    def __init__(self, status_code, headers):
        self.status_code = status_code
        self.headers = headers
        self.request = None


def read_header_file(path):
    """Parse a `curl -D` header file into (status code of the status line,
    FieldLines). When the file contains several responses (such as 100 Continue
    before the final one), the last is used. Obsolete line folding joins the
    continuation to the previous value with one space."""
    with open(path, "rb") as file:
        text = file.read().decode("latin-1")
    blocks = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("HTTP/"):
            parts = line.split()
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            blocks.append((status, []))
        elif not line.strip():
            continue
        elif not blocks:
            raise ValueError(f"{path}: header file does not start with a status line such as HTTP/1.1 200 OK")
        elif line[0] in " \t" and blocks[-1][1]:
            name, value = blocks[-1][1][-1]
            blocks[-1][1][-1] = (name, value + " " + line.strip())
        else:
            name, separator, value = line.partition(":")
            if not separator:
                raise ValueError(f"{path}: header line {line!r} has no colon")
            blocks[-1][1].append((name.strip(), value.strip()))
    if not blocks:
        raise ValueError(f"{path}: no status line found")
    status, lines = blocks[-1]
    return status, FieldLines(lines)


def write_header_file(path, status, headers):
    """Write a header file in the form `curl -D` produces."""
    with open(path, "wb") as file:
        file.write(f"HTTP/1.1 {status} \r\n".encode("latin-1"))
        for name, value in headers.items():
            file.write(f"{name}: {value}\r\n".encode("latin-1"))
        file.write(b"\r\n")


def keyid_for_spki(public_key):
    """Return the keyid Hopscope destinations use: base64url without
    padding of SHA-256 over the DER SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(spki).digest()).rstrip(b"=").decode("ascii")


def load_certificate_key(path):
    """Return the public key of a PEM (or DER) certificate."""
    with open(path, "rb") as file:
        data = file.read()
    if b"-----BEGIN" in data:
        certificate = x509.load_pem_x509_certificate(data)
    else:
        certificate = x509.load_der_x509_certificate(data)
    return certificate.public_key()


ALGORITHMS_BY_NAME = {
    algorithm.algorithm_id: algorithm
    for algorithm in (
        algorithms.ECDSA_P256_SHA256,
        algorithms.ECDSA_P384_SHA384,
        algorithms.ED25519,
        algorithms.RSA_PSS_SHA512,
        algorithms.RSA_V1_5_SHA256,
    )
}


def default_algorithm(key):
    """Return the RFC 9421 algorithm class for a public or private key,
    matching the defaults of the Rust crate (RSA keys use rsa-pss-sha512)."""
    if isinstance(key, (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)):
        if isinstance(key.curve, ec.SECP256R1):
            return algorithms.ECDSA_P256_SHA256
        if isinstance(key.curve, ec.SECP384R1):
            return algorithms.ECDSA_P384_SHA384
        raise ValueError(f"unsupported EC curve {key.curve.name}; use P-256 or P-384")
    if isinstance(key, (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)):
        return algorithms.ED25519
    if isinstance(key, (rsa.RSAPublicKey, rsa.RSAPrivateKey)):
        return algorithms.RSA_PSS_SHA512
    raise ValueError(f"unsupported key type {type(key).__name__}")
