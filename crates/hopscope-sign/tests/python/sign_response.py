#!/usr/bin/env python3
"""Sign an HTTP response with http-message-signatures 3, as a destination
independent of Hopscope's own signer would.

Usage:
  sign_response.py --status N --headers FILE --body FILE --key KEY_PEM
                   [--keyid ID] [--label sig1] [--created UNIX_SECONDS]
                   [--components "@status,content-type,content-digest"]
                   [--out FILE]

FILE of headers is what `curl -D` writes. A Content-Digest (sha-256) is
added when the headers have none, and an existing one must match the body.
The algorithm follows the key (ecdsa-p256-sha256, ecdsa-p384-sha384,
ed25519, or rsa-pss-sha512 for RSA) and is named in `alg`. The keyid
defaults to base64url(SHA-256(SubjectPublicKeyInfo)), as Hopscope
destinations use. The script prints one JSON object:

  {"label": str, "algorithm": str, "keyid": str,
   "signature_input": str, "signature": str, "content_digest": str,
   "headers": [[name, value], ...]}

and with --out also writes the signed headers as a `curl -D` file. The exit
code is 0 on success and 2 for invalid arguments, files or keys.
"""

import argparse
import datetime
import json
import sys

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from http_message_signatures import HTTPMessageSigner, HTTPSignatureKeyResolver
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from http_messages import Response, default_algorithm, keyid_for_spki, read_header_file, write_header_file


class OneKeyResolver(HTTPSignatureKeyResolver):
    def __init__(self, keyid, private_key):
        self.keyid = keyid
        self.private_key = private_key

    def resolve_private_key(self, key_id):
        if key_id != self.keyid:
            raise KeyError(f"no private key for keyid {key_id}")
        return self.private_key


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--status", type=int, required=True, help="response status code")
    parser.add_argument("--headers", required=True, help="header file as written by curl -D")
    parser.add_argument("--body", required=True, help="file with the response body")
    parser.add_argument("--key", required=True, help="PEM private key (PKCS#8, SEC1 or PKCS#1), unencrypted")
    parser.add_argument("--keyid", help="keyid parameter (default: base64url SHA-256 of the SPKI)")
    parser.add_argument("--label", default="sig1", help="signature label (default: sig1)")
    parser.add_argument("--created", type=int, help="created parameter in Unix seconds (default: now)")
    parser.add_argument(
        "--components",
        default="@status,content-type,content-digest",
        help="comma-separated covered components, in order (default: @status,content-type,content-digest)",
    )
    parser.add_argument("--out", help="also write the signed headers to this file in curl -D form")
    args = parser.parse_args()

    try:
        _, headers = read_header_file(args.headers)
        with open(args.body, "rb") as file:
            body = file.read()
        with open(args.key, "rb") as file:
            private_key = load_pem_private_key(file.read(), password=None)
        algorithm = default_algorithm(private_key)
    except (OSError, ValueError, TypeError) as error:
        print(f"sign_response.py: {error}", file=sys.stderr)
        return 2

    keyid = args.keyid or keyid_for_spki(private_key.public_key())
    created = (
        datetime.datetime.fromtimestamp(args.created, tz=datetime.timezone.utc)
        if args.created is not None
        else datetime.datetime.now(datetime.timezone.utc)
    )
    components = tuple(component.strip() for component in args.components.split(",") if component.strip())

    response = Response(args.status, headers)
    signer = HTTPMessageSigner(signature_algorithm=algorithm, key_resolver=OneKeyResolver(keyid, private_key))
    try:
        signer.sign(
            response,
            key_id=keyid,
            created=created,
            label=args.label,
            covered_component_ids=components,
            body=body,
            use_existing_digest=True,
        )
    except (HTTPMessageSignaturesException, KeyError) as error:
        print(f"sign_response.py: signing failed: {error}", file=sys.stderr)
        return 2

    if args.out:
        write_header_file(args.out, args.status, headers)
    print(
        json.dumps(
            {
                "label": args.label,
                "algorithm": algorithm.algorithm_id,
                "keyid": keyid,
                "signature_input": headers["signature-input"],
                "signature": headers["signature"],
                "content_digest": headers["content-digest"],
                "headers": [list(line) for line in headers.items()],
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
