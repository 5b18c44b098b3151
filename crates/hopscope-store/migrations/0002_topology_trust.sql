-- Topology (destinations, intermediaries, routes) and versioned trust lists.

-- Who made each change: the operating-system user that ran Hopscope.
ALTER TABLE audit ADD COLUMN actor TEXT NOT NULL DEFAULT '';

CREATE TABLE destinations (
    id                     INTEGER PRIMARY KEY,
    name                   TEXT NOT NULL UNIQUE,
    public_url             TEXT NOT NULL,
    private_url            TEXT NOT NULL,
    -- The private-endpoint credential that serves the private URL.
    endpoint_credential_id INTEGER REFERENCES credentials(id),
    -- The destination-signing credential that signs payloads and tokens.
    signing_credential_id  INTEGER REFERENCES credentials(id),
    created_at             INTEGER NOT NULL
);

CREATE TABLE intermediaries (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL CHECK (kind IN ('inbound-gateway', 'delegated')),
    created_at INTEGER NOT NULL
);

CREATE TABLE intermediary_listen_urls (
    intermediary_id INTEGER NOT NULL REFERENCES intermediaries(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    url             TEXT NOT NULL,
    PRIMARY KEY (intermediary_id, position)
);

CREATE TABLE intermediary_credentials (
    intermediary_id INTEGER NOT NULL REFERENCES intermediaries(id) ON DELETE CASCADE,
    credential_id   INTEGER NOT NULL REFERENCES credentials(id),
    PRIMARY KEY (intermediary_id, credential_id)
);

-- A destination's route: its intermediaries in order, from the inbound
-- gateway (position 0) to the last delegated intermediary.
CREATE TABLE route_hops (
    destination_id  INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    intermediary_id INTEGER NOT NULL REFERENCES intermediaries(id),
    PRIMARY KEY (destination_id, position)
);

-- Every edit of a trust list stores the whole list as a new version.
CREATE TABLE trust_list_versions (
    id             INTEGER PRIMARY KEY,
    destination_id INTEGER NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
    version        INTEGER NOT NULL,
    content        TEXT NOT NULL,
    change         TEXT NOT NULL,
    actor          TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    UNIQUE (destination_id, version)
);
