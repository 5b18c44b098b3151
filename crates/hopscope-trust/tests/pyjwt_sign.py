"""Sign a UDAP client assertion with PyJWT, independently of Hopscope.

Usage: pyjwt_sign.py KEY_PEM CHAIN_PEM ISS AUD

KEY_PEM is an unencrypted PKCS#8 private key, CHAIN_PEM the certificate
chain, leaf first. The alg follows the key: ES256 (P-256), ES384 (P-384),
EdDSA (Ed25519) or RS256 (RSA). Prints the compact JWT on standard output.
"""

import base64
import sys
import time
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa


def alg_for(key):
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algs = {"secp256r1": "ES256", "secp384r1": "ES384"}
        if key.curve.name not in algs:
            sys.exit(f"unsupported EC curve {key.curve.name}; use P-256 or P-384")
        return algs[key.curve.name]
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    sys.exit(f"unsupported key type {type(key).__name__}")


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    key_path, chain_path, iss, aud = sys.argv[1:]
    with open(key_path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(chain_path, "rb") as f:
        chain = x509.load_pem_x509_certificates(f.read())
    x5c = [
        base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        for cert in chain
    ]
    now = int(time.time())
    claims = {
        "iss": iss,
        "sub": iss,
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    token = jwt.encode(claims, key, algorithm=alg_for(key), headers={"x5c": x5c})
    print(token)


if __name__ == "__main__":
    main()
