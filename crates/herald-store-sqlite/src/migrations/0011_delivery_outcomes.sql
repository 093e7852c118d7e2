-- Each recipient's outcome per broadcast, for the list of who was told. Kept compact: no
-- rowid, one short row per recipient, ordered as the list shows them (failures first). The
-- successes of a fan-out batch are written by one statement; the rarer outcomes row by row.
--   outcome: 0 failed (given up), 1 retrying, 2 queued (handed off, not tried yet), 3 delivered
CREATE TABLE deliveries (
    broadcast_id  TEXT NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    outcome       INTEGER NOT NULL,
    subscriber_id TEXT NOT NULL,
    error         TEXT,
    at            INTEGER NOT NULL,
    PRIMARY KEY (broadcast_id, outcome, subscriber_id)
) WITHOUT ROWID;
