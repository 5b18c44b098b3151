"""A UDAP client built outside Hopscope, for the end-to-end tests.

It registers at a destination through the gateway with a software statement
signed by PyJWT, gets an access token with a private_key_jwt client
assertion, then reads and searches with the fhirpy client library. It prints
one JSON object with what it saw and exits 0 when every step went as
expected, 1 otherwise.

    udap_client.py --base URL --resolve HOST:PORT:ADDRESS --cacert PEM
                   --key KEY_PEM --chain CHAIN_PEM --client-uri URI
                   [--expect-refused]

--resolve works like curl's: the client connects to ADDRESS for HOST:PORT
and never queries DNS. With --expect-refused, success means the registration
was refused with a 400 that lists failed checks.
"""

import argparse
import base64
import json
import socket
import sys
import time
import uuid

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from fhirpy import SyncFHIRClient


def pin_host(resolve):
    """Makes HOST:PORT connect to ADDRESS, so no name reaches DNS."""
    host, port, address = resolve.split(":")
    original = socket.getaddrinfo

    def getaddrinfo(name, service, *args, **kwargs):
        if name == host and str(service) == port:
            return original(address, service, *args, **kwargs)
        if name == host:
            raise OSError(f"{name}:{service} is not the pinned {host}:{port}")
        return original(name, service, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def x5c(chain_pem):
    certificates = x509.load_pem_x509_certificates(chain_pem)
    return [
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
        for c in certificates
    ]


def sign(claims, key, chain):
    return jwt.encode(claims, key, algorithm="ES256", headers={"x5c": chain})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--resolve", required=True)
    parser.add_argument("--cacert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--chain", required=True)
    parser.add_argument("--client-uri", required=True)
    parser.add_argument("--expect-refused", action="store_true")
    args = parser.parse_args()

    pin_host(args.resolve)
    base = args.base.rstrip("/")
    session = requests.Session()
    session.verify = args.cacert
    session.trust_env = False
    with open(args.key, "rb") as file:
        key = serialization.load_pem_private_key(file.read(), password=None)
    with open(args.chain, "rb") as file:
        chain = x5c(file.read())
    result = {}

    metadata = session.get(f"{base}/.well-known/udap", timeout=30)
    metadata.raise_for_status()
    signed = jwt.decode(metadata.json()["signed_metadata"], options={"verify_signature": False})
    result["signed_metadata_iss"] = signed["iss"]

    now = int(time.time())
    statement = sign(
        {
            "iss": args.client_uri,
            "sub": args.client_uri,
            "aud": f"{base}/register",
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
            "client_name": "PyJWT test client",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": "system/*.read",
        },
        key,
        chain,
    )
    registration = session.post(
        f"{base}/register",
        json={"software_statement": statement, "udap": "1"},
        timeout=30,
    )
    result["register_status"] = registration.status_code
    result["register_body"] = registration.json()
    if args.expect_refused:
        refused = registration.status_code == 400 and registration.json().get("failed_checks")
        print(json.dumps(result, indent=2))
        return 0 if refused else 1
    if registration.status_code not in (200, 201):
        print(json.dumps(result, indent=2))
        return 1

    assertion = sign(
        {
            "iss": args.client_uri,
            "sub": args.client_uri,
            "aud": f"{base}/token",
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        },
        key,
        chain,
    )
    token = session.post(
        f"{base}/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
            "scope": "system/*.read",
            "udap": "1",
        },
        timeout=30,
    )
    result["token_status"] = token.status_code
    if token.status_code != 200:
        result["token_body"] = token.json()
        print(json.dumps(result, indent=2))
        return 1
    access_token = token.json()["access_token"]

    client = SyncFHIRClient(
        base,
        authorization=f"Bearer {access_token}",
        requests_config={"verify": args.cacert},
    )
    bundle = client.resources("Patient").search(gender="female").limit(5).fetch_raw()
    full_urls = [entry["fullUrl"] for entry in bundle.get("entry", [])]
    result["search_total"] = bundle.get("total")
    result["full_urls"] = full_urls
    patients = client.resources("Patient").limit(5).fetch()
    result["fetched_ids"] = [patient.id for patient in patients]
    first = client.reference("Patient", result["fetched_ids"][0]).to_resource()
    result["read_id"] = first.id

    public = all(url.startswith(f"{base}/Patient/") for url in full_urls)
    ok = bool(full_urls) and public and first.id == result["fetched_ids"][0]
    print(json.dumps(result, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
