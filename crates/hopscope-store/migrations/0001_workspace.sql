-- The first workspace schema: key vault, credentials with their certificate
-- history, and the audit log. Times are Unix seconds (UTC).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- Private keys, each a DER PKCS#8 EncryptedPrivateKeyInfo under the
-- workspace data key. Never stored in clear.
CREATE TABLE keys (
    id              INTEGER PRIMARY KEY,
    key_type        TEXT NOT NULL,
    spki_sha256     TEXT NOT NULL,
    encrypted_pkcs8 BLOB NOT NULL,
    created_at      INTEGER NOT NULL
);

CREATE TABLE credentials (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL UNIQUE,
    role               TEXT NOT NULL,
    url                TEXT,
    -- The authority credential that issues it; NULL for roots and imports
    -- whose issuer is not in the workspace.
    authority_id       INTEGER REFERENCES credentials(id),
    key_type           TEXT NOT NULL,
    validity_seconds   INTEGER NOT NULL,
    path_len           INTEGER,
    remaining_fraction REAL NOT NULL DEFAULT 0.3333333333333333,
    auto_rotate        INTEGER NOT NULL DEFAULT 0,
    origin             TEXT NOT NULL CHECK (origin IN ('issued', 'imported')),
    created_at         INTEGER NOT NULL
);

CREATE TABLE certificates (
    id                    INTEGER PRIMARY KEY,
    credential_id         INTEGER NOT NULL REFERENCES credentials(id),
    der                   BLOB NOT NULL,
    serial_hex            TEXT NOT NULL,
    sha256_fingerprint    TEXT NOT NULL,
    spki_sha256           TEXT NOT NULL,
    subject               TEXT NOT NULL,
    not_before            INTEGER NOT NULL,
    not_after             INTEGER NOT NULL,
    key_id                INTEGER REFERENCES keys(id),
    issuer_certificate_id INTEGER REFERENCES certificates(id),
    is_current            INTEGER NOT NULL DEFAULT 0,
    revoked_at            INTEGER,
    revocation_reason     TEXT,
    created_at            INTEGER NOT NULL
);

-- A credential never has two current certificates; a rotation swaps the flag
-- inside one transaction, so it never has none either.
CREATE UNIQUE INDEX certificates_one_current
    ON certificates (credential_id) WHERE is_current = 1;
CREATE INDEX certificates_credential ON certificates (credential_id);
CREATE INDEX certificates_issuer ON certificates (issuer_certificate_id);

CREATE TABLE crl_numbers (
    credential_id INTEGER PRIMARY KEY REFERENCES credentials(id),
    last_number   INTEGER NOT NULL
);

CREATE TABLE audit (
    id                 INTEGER PRIMARY KEY,
    at                 INTEGER NOT NULL,
    action             TEXT NOT NULL,
    subject            TEXT NOT NULL,
    serial_hex         TEXT,
    sha256_fingerprint TEXT,
    detail             TEXT NOT NULL DEFAULT ''
);
