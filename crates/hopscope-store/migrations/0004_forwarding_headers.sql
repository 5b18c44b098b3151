-- Whether an intermediary adds the Forwarded (RFC 7239) and Via (RFC 9110)
-- request headers when it forwards. Off by default: pass-through unchanged.
ALTER TABLE intermediaries ADD COLUMN add_forwarded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE intermediaries ADD COLUMN add_via INTEGER NOT NULL DEFAULT 0;
