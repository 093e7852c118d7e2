-- Scheduled maintenance windows, the locations they affect, and their timelines.
-- Times are microseconds since the Unix epoch, UTC. Enum values are their snake_case names.

CREATE TABLE maintenance_windows (
    id         TEXT PRIMARY KEY,
    page_id    TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    state      TEXT NOT NULL,
    starts_at  INTEGER NOT NULL,          -- planned
    ends_at    INTEGER NOT NULL,
    automation INTEGER NOT NULL,          -- 1 when Herald is to start and complete it on time
    sequence   INTEGER NOT NULL,          -- raised by every reschedule (iCalendar SEQUENCE)
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    started_at INTEGER,                   -- actual
    ended_at   INTEGER,                   -- completed or cancelled
    CHECK (ends_at > starts_at)
);
CREATE INDEX maintenance_windows_by_start ON maintenance_windows (page_id, starts_at DESC, id DESC);
CREATE INDEX maintenance_windows_active ON maintenance_windows (page_id)
    WHERE state IN ('in_progress', 'verifying');

CREATE TABLE maintenance_locations (
    maintenance_id TEXT NOT NULL REFERENCES maintenance_windows(id) ON DELETE CASCADE,
    location_id    TEXT NOT NULL REFERENCES locations(id),
    position       INTEGER NOT NULL,
    PRIMARY KEY (maintenance_id, location_id)
);
CREATE INDEX maintenance_locations_by_location ON maintenance_locations (location_id);

-- The timeline; rows are only ever added.
CREATE TABLE maintenance_updates (
    id             TEXT PRIMARY KEY,
    maintenance_id TEXT NOT NULL REFERENCES maintenance_windows(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    state          TEXT NOT NULL,
    details        TEXT NOT NULL,
    channels       TEXT NOT NULL,         -- JSON: the broadcast flags chosen
    author         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    UNIQUE (maintenance_id, seq)
);
