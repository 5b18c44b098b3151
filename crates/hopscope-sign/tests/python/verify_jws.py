#!/usr/bin/env python3
"""Verify a compact JWS with PyJWT and print its claims as JSON.

Usage: verify_jws.py --cert CERT_PEM --alg ES256 < token

Exits 0 when the signature verifies with the certificate's key and the
header's alg is the one given, 1 when it does not (the reason goes to
standard error).
"""

import argparse
import json
import sys

import jwt

from http_messages import load_certificate_key


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cert", required=True, help="PEM certificate whose key signed the token")
    parser.add_argument("--alg", required=True, help="the only JWS alg accepted, such as ES256")
    args = parser.parse_args()

    token = sys.stdin.read().strip()
    public_key = load_certificate_key(args.cert)
    try:
        claims = jwt.decode(
            token,
            key=public_key,
            algorithms=[args.alg],
            options={"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False},
        )
    except jwt.PyJWTError as error:
        print(f"verify_jws.py: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"header": jwt.get_unverified_header(token), "claims": claims}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
