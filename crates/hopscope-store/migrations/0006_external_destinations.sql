-- An external destination is a FHIR server the operator runs at the private
-- URL: the gateway forwards to it but does not start a stub for it.
ALTER TABLE destinations ADD COLUMN external INTEGER NOT NULL DEFAULT 0;
-- The IP address the private URL's host maps to for an external destination;
-- NULL means 127.0.0.1. Only an operator's explicit choice sets another one.
ALTER TABLE destinations ADD COLUMN external_address TEXT;
