#!/usr/bin/env python3
"""Verify a signed HTTP response with http-message-signatures 3, as an
originator independent of Hopscope's own verifier would.

Usage:
  verify_response.py --status N --headers FILE --body FILE --cert CERT_PEM
                     [--label sig1] [--max-age SECONDS]

FILE of headers is what `curl -D` writes: a status line, then `Name: value`
lines. The script prints one JSON object:

  {"verified": bool, "label": str|null, "status": N,
   "signature": {"ok": bool, "error": str|null, "algorithm": str|null,
                 "covered_components": {...}, "parameters": {...}},
   "keyid": {"ok": bool, "expected": str, "presented": str|null},
   "content_digest": {"ok": bool, "covered": bool, "matches": bool,
                      "value": str|null, "error": str|null}}

`keyid.expected` is base64url(SHA-256(SubjectPublicKeyInfo)) of the
certificate's key; the key resolves only for that keyid. The exit code is
0 only when the signature verifies and the Content-Digest is covered by it
and matches the body, 1 when either fails, and 2 for invalid arguments or
unreadable files.
"""

import argparse
import datetime
import json
import sys
import warnings

import http_sf
from http_message_signatures import HTTPMessageVerifier, HTTPSignatureKeyResolver
from http_message_signatures.digests import ContentDigest
from http_message_signatures.exceptions import HTTPMessageSignaturesException

from http_messages import (
    ALGORITHMS_BY_NAME,
    Response,
    default_algorithm,
    keyid_for_spki,
    load_certificate_key,
    read_header_file,
)


class CertificateKeyResolver(HTTPSignatureKeyResolver):
    """Resolves the one keyid that belongs to the certificate's key."""

    def __init__(self, keyid, public_key):
        self.keyid = keyid
        self.public_key = public_key

    def resolve_public_key(self, key_id):
        return self.public_key if key_id == self.keyid else None

    def resolve_private_key(self, key_id):
        raise KeyError("this resolver verifies only")


def signature_inputs(headers):
    """Parse Signature-Input into {label: parameters}, or {} when absent."""
    if "signature-input" not in headers:
        return {}
    parsed = http_sf.parse(headers["signature-input"].encode(), tltype="dictionary")
    return {label: params for label, (_, params) in parsed.items()}


def check_signature(response, label, public_key, keyid, max_age):
    inputs = signature_inputs(response.headers)
    selected = label
    if selected is None and len(inputs) == 1:
        selected = next(iter(inputs))
    params = inputs.get(selected, {}) if selected else {}
    alg_name = params.get("alg")
    result = {"ok": False, "error": None, "algorithm": None, "covered_components": {}, "parameters": {}}

    if alg_name is not None and alg_name not in ALGORITHMS_BY_NAME:
        result["error"] = f"alg {alg_name!r} is not supported by this verifier"
        return result, selected, params
    algorithm = ALGORITHMS_BY_NAME[alg_name] if alg_name else default_algorithm(public_key)
    result["algorithm"] = algorithm.algorithm_id

    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithm, key_resolver=CertificateKeyResolver(keyid, public_key)
    )
    if label is not None:
        # Hopscope signatures carry no tag, so the label alone selects one.
        verifier.allow_label_only_selection = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            verified = verifier.verify(response, max_age=max_age, expect_label=label)
    except (HTTPMessageSignaturesException, ValueError) as error:
        result["error"] = f"{type(error).__name__}: {error}"
        return result, selected, params

    first = verified[0]
    result.update(
        ok=True,
        covered_components=dict(first.covered_components),
        parameters={key: value for key, value in first.parameters.items()},
    )
    return result, first.label, params


def check_content_digest(headers, body, covered_components):
    value = headers["content-digest"] if "content-digest" in headers else None
    covered = any(identifier.startswith('"content-digest"') for identifier in covered_components)
    result = {"ok": False, "covered": covered, "matches": False, "value": value, "error": None}
    if value is None:
        result["error"] = "the response has no Content-Digest header"
        return result
    try:
        ContentDigest.verify(value, body)
        result["matches"] = True
    except HTTPMessageSignaturesException as error:
        result["error"] = f"{type(error).__name__}: {error}"
        return result
    if not covered:
        result["error"] = "the signature does not cover content-digest, so the body is not protected"
        return result
    result["ok"] = True
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--status", type=int, required=True, help="response status code")
    parser.add_argument("--headers", required=True, help="header file as written by curl -D")
    parser.add_argument("--body", required=True, help="file with the response body as received")
    parser.add_argument("--cert", required=True, help="PEM certificate of the destination-signing credential")
    parser.add_argument("--label", help="signature label to verify (default: the only one)")
    parser.add_argument(
        "--max-age", type=int, help="reject signatures whose created time is older, in seconds (default: no limit)"
    )
    args = parser.parse_args()

    try:
        status_line_code, headers = read_header_file(args.headers)
        with open(args.body, "rb") as file:
            body = file.read()
        public_key = load_certificate_key(args.cert)
    except (OSError, ValueError) as error:
        print(f"verify_response.py: {error}", file=sys.stderr)
        return 2

    keyid = keyid_for_spki(public_key)
    response = Response(args.status, headers)
    max_age = datetime.timedelta(seconds=args.max_age) if args.max_age is not None else None
    signature, label, params = check_signature(response, args.label, public_key, keyid, max_age)
    content_digest = check_content_digest(headers, body, signature["covered_components"])
    presented = params.get("keyid")

    report = {
        "verified": signature["ok"] and content_digest["ok"],
        "label": label,
        "status": args.status,
        "status_line": status_line_code,
        "signature": signature,
        "keyid": {"ok": presented == keyid, "expected": keyid, "presented": presented},
        "content_digest": content_digest,
    }
    print(json.dumps(report, indent=2, default=str))
    return 0 if report["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
