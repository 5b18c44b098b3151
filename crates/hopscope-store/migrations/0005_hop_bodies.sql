-- Captured request and response bodies of the gateway's hop records: the
-- first bytes of each body, up to the gateway's capture limit. Kept out of
-- the record JSON so that listing exchanges does not read them.
--
-- Keyed by the hop record rather than by exchange id and hop, because a
-- client that reuses an x-hopscope-exchange value sends one exchange id
-- through a hop twice. Deleting an exchange (the retention limit) deletes
-- its hop records and, through them, their bodies.
CREATE TABLE hop_bodies (
    hop_record_id INTEGER NOT NULL REFERENCES hop_records(id) ON DELETE CASCADE,
    direction     TEXT NOT NULL CHECK (direction IN ('request', 'response')),
    body          BLOB NOT NULL,
    PRIMARY KEY (hop_record_id, direction)
) WITHOUT ROWID;
