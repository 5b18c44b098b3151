#!/usr/bin/env python3
"""A small FHIR R4 server over TLS that is not Hopscope's, for the tests of
external destinations. Standard library only.

Usage:
    fhir_server.py --cert PEM --public-base URL [--key PEM] [--base /fhir]
                   [--host 127.0.0.1] [--port 0]

--cert contains the certificate chain (and the key, unless --key names it).
--public-base is the base URL clients use through the gateway; the server
builds every URL it returns from it, as a server behind a reverse proxy
does. It prints "listening on PORT" once it accepts connections.

Routes under --base (HTTP/1.1 with keep-alive):
    GET  /metadata                    CapabilityStatement
    GET  /Patient/<id>                Patient
    GET  /Patient?<query>             searchset Bundle of 3 Patients
    GET  /Binary/<id>?bytes=N         N bytes, every byte value in turn
    POST /Binary                      JSON with the size and SHA-256 of the body read
    GET  /$export                     with "Prefer: respond-async": 202 and
                                      Content-Location of a status URL
    GET  /$export-status/<job>        202 with X-Progress on the first poll,
                                      then 200 with the export manifest
    GET  /$export-file/<job>/Patient.ndjson
                                      NDJSON, one Patient a line
Anything else gets 404 with an OperationOutcome. Every response carries
X-Body-SHA256, the hex SHA-256 of the body sent, so a test can compare it
with what its client received.
"""

import argparse
import hashlib
import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FHIR_JSON = "application/fhir+json"


def patient(patient_id):
    return {
        "resourceType": "Patient",
        "id": patient_id,
        "name": [{"family": "Chalmers", "given": ["Peter", "James"]}],
        "gender": "male",
        "birthDate": "1974-12-25",
    }


class ExportJobs:
    """Bulk export jobs, keyed by id, with how often each was polled."""

    def __init__(self):
        self.lock = threading.Lock()
        self.polls = {}

    def start(self):
        with self.lock:
            job = f"job-{len(self.polls) + 1}"
            self.polls[job] = 0
            return job

    def poll(self, job):
        """Returns how many polls came before this one, or None for an unknown job."""
        with self.lock:
            if job not in self.polls:
                return None
            count = self.polls[job]
            self.polls[job] = count + 1
            return count


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ExternalFhir/1.0"

    def log_message(self, format, *args):
        sys.stderr.write("fhir_server: " + (format % args) + "\n")

    def send_body(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Body-SHA256", hashlib.sha256(body).hexdigest())
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status, value, headers=(), content_type=FHIR_JSON):
        body = json.dumps(value, separators=(",", ":")).encode()
        self.send_body(status, body, content_type, headers)

    def not_found(self, detail):
        self.send_json(404, {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "not-found", "diagnostics": detail}],
        })

    def do_GET(self):
        config = self.server.config
        url = urlsplit(self.path)
        if not url.path.startswith(config.base + "/"):
            return self.not_found(f"{url.path} is not under {config.base}")
        parts = url.path[len(config.base) + 1:].split("/")
        query = parse_qs(url.query)
        public = config.public_base

        if parts == ["metadata"]:
            return self.send_json(200, {
                "resourceType": "CapabilityStatement",
                "status": "active",
                "kind": "instance",
                "fhirVersion": "4.0.1",
                "format": ["json"],
                "implementation": {"description": "external FHIR test server", "url": public},
            })
        if parts == ["Patient"]:
            entries = [{"fullUrl": f"{public}/Patient/{n}", "resource": patient(str(n))} for n in (1, 2, 3)]
            return self.send_json(200, {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(entries),
                "link": [{"relation": "self", "url": f"{public}/Patient?{url.query}"}],
                "entry": entries,
            })
        if len(parts) == 2 and parts[0] == "Patient":
            return self.send_json(200, patient(parts[1]))
        if len(parts) == 2 and parts[0] == "Binary":
            size = int(query.get("bytes", ["256"])[0])
            body = bytes(n % 256 for n in range(size))
            return self.send_body(200, body, "application/octet-stream")
        if parts == ["$export"]:
            if "respond-async" not in self.headers.get("Prefer", ""):
                return self.send_json(400, {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "invalid",
                               "diagnostics": "$export needs the header Prefer: respond-async"}],
                })
            job = config.jobs.start()
            return self.send_json(202, {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "information", "code": "informational",
                           "diagnostics": f"export {job} accepted"}],
            }, headers=[("Content-Location", f"{public}/$export-status/{job}")])
        if len(parts) == 2 and parts[0] == "$export-status":
            polls = config.jobs.poll(parts[1])
            if polls is None:
                return self.not_found(f"no export job {parts[1]}")
            if polls == 0:
                return self.send_body(202, b"", FHIR_JSON, headers=[("X-Progress", "in progress"), ("Retry-After", "1")])
            return self.send_json(200, {
                "transactionTime": "2024-01-01T00:00:00Z",
                "request": f"{public}/$export",
                "requiresAccessToken": False,
                "output": [{"type": "Patient", "url": f"{public}/$export-file/{parts[1]}/Patient.ndjson"}],
                "error": [],
            }, content_type="application/json")
        if len(parts) == 3 and parts[0] == "$export-file" and parts[2] == "Patient.ndjson":
            lines = [json.dumps(patient(str(n)), separators=(",", ":")) for n in (1, 2, 3)]
            return self.send_body(200, ("\n".join(lines) + "\n").encode(), "application/fhir+ndjson")
        return self.not_found(f"no route for GET {url.path}")

    def do_POST(self):
        config = self.server.config
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if url.path != config.base + "/Binary":
            return self.not_found(f"no route for POST {url.path}")
        return self.send_json(200, {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()},
                              content_type="application/json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True, help="PEM file with the certificate chain, and the key unless --key")
    parser.add_argument("--key", help="PEM file with the private key")
    parser.add_argument("--public-base", required=True, help="base URL clients use, for the URLs in responses")
    parser.add_argument("--base", default="/fhir", help="path the server serves FHIR under")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    config = parser.parse_args()
    config.base = config.base.rstrip("/")
    config.public_base = config.public_base.rstrip("/")
    config.jobs = ExportJobs()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(config.cert, config.key)
    context.set_alpn_protocols(["http/1.1"])
    server = ThreadingHTTPServer((config.host, config.port), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.config = config
    print(f"listening on {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
