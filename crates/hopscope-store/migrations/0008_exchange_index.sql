-- What the app's exchange list shows and searches without reading hop
-- records: the originator and destination of each exchange, the header
-- lines its hops saw, and a cache of computed verdicts. Every table here is
-- deleted with its exchange (the retention limit, or clearing exchanges).

-- The originator and destination simulators' hop names per exchange, kept
-- current by the triggers below whoever writes the records.
CREATE TABLE exchange_facts (
    exchange_rowid INTEGER PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,
    -- Hop name of the record the originator simulator wrote, if one did.
    originator     TEXT,
    -- Hop name of the record the destination simulator wrote, if one did.
    destination    TEXT
);

-- The triggers must not slow the gateway's record writer, so they parse no
-- JSON: the record JSON starts with exchange_id (32 characters), hop (at
-- most 128) and participant, in that order, so the participant is in its
-- first 300 characters. A test in the workspace crate checks that order.
-- Intermediaries' records, the bulk under load, only pay the WHEN test.
CREATE TRIGGER hop_records_originator AFTER INSERT ON hop_records
WHEN instr(substr(NEW.record, 1, 300), '"participant":"originator"') > 0
BEGIN
    INSERT INTO exchange_facts (exchange_rowid, originator) VALUES (NEW.exchange_rowid, NEW.hop)
        ON CONFLICT (exchange_rowid) DO UPDATE SET originator = excluded.originator;
END;

CREATE TRIGGER hop_records_destination AFTER INSERT ON hop_records
WHEN instr(substr(NEW.record, 1, 300), '"participant":"destination"') > 0
BEGIN
    INSERT INTO exchange_facts (exchange_rowid, destination) VALUES (NEW.exchange_rowid, NEW.hop)
        ON CONFLICT (exchange_rowid) DO UPDATE SET destination = excluded.destination;
END;

-- The facts of the exchanges recorded before this migration.
INSERT INTO exchange_facts (exchange_rowid, originator, destination)
SELECT
    e.id,
    (SELECT h.hop FROM hop_records h
      WHERE h.exchange_rowid = e.id AND json_extract(h.record, '$.participant') = 'originator' LIMIT 1),
    (SELECT h.hop FROM hop_records h
      WHERE h.exchange_rowid = e.id AND json_extract(h.record, '$.participant') = 'destination' LIMIT 1)
FROM exchanges e;

-- The header lines of each exchange for the list's text search, filled
-- after the records are written (not by a trigger, because extracting them
-- costs the record writer about three times its own work per record).
-- The meta key `exchange_headers_indexed_to` holds the highest hop record
-- id indexed so far.
CREATE TABLE exchange_headers (
    exchange_rowid INTEGER PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,
    -- The distinct header lines of its hops' requests and responses, as
    -- "name: value" in lower case, each ending in a newline. Only searched,
    -- never shown; `Authorization` is already a digest in the record.
    headers        TEXT NOT NULL
);

-- Verdicts computed so far, so that the list shows a badge per exchange
-- without judging 100,000 exchanges at every start.
CREATE TABLE verdicts (
    exchange_rowid INTEGER PRIMARY KEY REFERENCES exchanges(id) ON DELETE CASCADE,
    -- The exchange's hop_count when the verdict was computed. A record that
    -- arrives later changes the count, which makes the verdict stale.
    hop_count      INTEGER NOT NULL,
    passed         INTEGER NOT NULL CHECK (passed IN (0, 1)),
    -- Participant where the first failed check failed; NULL when it passed
    -- or when the failed check names no participant.
    failed_hop     TEXT,
    -- Names of the failed checks, comma-separated; empty when it passed.
    failed_checks  TEXT NOT NULL DEFAULT '',
    -- The whole verdict, as the workspace crate serializes it.
    verdict        TEXT NOT NULL,
    -- Milliseconds since the Unix epoch.
    computed_at_ms INTEGER NOT NULL
);
