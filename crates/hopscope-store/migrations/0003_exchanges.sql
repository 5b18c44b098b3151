-- Exchange records of the embedded test gateway, and the faults an operator
-- sets per hop while it runs.

-- One row per exchange. Its summary columns come from the outermost hop
-- (the one the originator talked to), which is the hop record with the
-- longest duration, because every inner hop runs inside it.
CREATE TABLE exchanges (
    id            INTEGER PRIMARY KEY,
    -- Value of the x-hopscope-exchange header, equal on every hop.
    exchange_id   TEXT NOT NULL UNIQUE,
    -- Milliseconds since the Unix epoch.
    started_at_ms INTEGER NOT NULL,
    method        TEXT NOT NULL,
    target        TEXT NOT NULL,
    -- NULL when the hop closed the connection without a response.
    status        INTEGER,
    duration_ms   REAL NOT NULL,
    hop_count     INTEGER NOT NULL
);

CREATE INDEX exchanges_started_at ON exchanges (started_at_ms);

-- One row per exchange and hop: the engine's record as JSON, with the
-- columns that lists and searches need.
CREATE TABLE hop_records (
    id             INTEGER PRIMARY KEY,
    exchange_rowid INTEGER NOT NULL REFERENCES exchanges(id) ON DELETE CASCADE,
    exchange_id    TEXT NOT NULL,
    hop            TEXT NOT NULL,
    started_at_ms  INTEGER NOT NULL,
    method         TEXT NOT NULL,
    target         TEXT NOT NULL,
    status         INTEGER,
    duration_ms    REAL NOT NULL,
    record         TEXT NOT NULL
);

CREATE INDEX hop_records_exchange ON hop_records (exchange_rowid);
CREATE INDEX hop_records_exchange_id ON hop_records (exchange_id);
CREATE INDEX hop_records_hop ON hop_records (hop, started_at_ms);

-- The fault of each hop as the gateway's serde JSON (`{"kind":"status","code":503}`).
-- `gateway fault` writes it; a running gateway polls it and applies changes.
CREATE TABLE gateway_faults (
    hop    TEXT PRIMARY KEY,
    fault  TEXT NOT NULL,
    set_at INTEGER NOT NULL
);
