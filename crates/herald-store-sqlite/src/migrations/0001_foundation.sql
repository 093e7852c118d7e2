-- Pages, components, incidents, tokens and the audit log.
-- Times are microseconds since the Unix epoch, UTC. Enum values are their snake_case names.

CREATE TABLE pages (
    id          TEXT PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    settings    TEXT NOT NULL,            -- JSON: cadence table, lint rules, default subject
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE component_groups (
    id          TEXT PRIMARY KEY,
    page_id     TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (page_id, name)
);

CREATE TABLE components (
    id          TEXT PRIMARY KEY,
    page_id     TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    group_id    TEXT REFERENCES component_groups(id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX components_by_page ON components (page_id, position);

CREATE TABLE locations (
    id             TEXT PRIMARY KEY,
    component_id   TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    page_id        TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    override_level TEXT,
    UNIQUE (component_id, name)
);
CREATE INDEX locations_by_page ON locations (page_id);

CREATE TABLE incidents (
    id              TEXT PRIMARY KEY,
    page_id         TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    severity        INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 4),
    severity_reason TEXT,
    state           TEXT NOT NULL,
    postmortem_url  TEXT,
    recurrences     INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    resolved_at     INTEGER,
    closed_at       INTEGER               -- resolved_at plus the close window of its severity
);
CREATE INDEX incidents_by_page ON incidents (page_id, created_at DESC, id DESC);
CREATE INDEX incidents_active ON incidents (page_id) WHERE state <> 'resolved';
CREATE INDEX incidents_by_close ON incidents (page_id, closed_at) WHERE closed_at IS NOT NULL;

-- The locations an incident affects now, with the level it holds each at.
CREATE TABLE incident_locations (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    location_id TEXT NOT NULL REFERENCES locations(id),
    position    INTEGER NOT NULL,
    level       TEXT NOT NULL,
    PRIMARY KEY (incident_id, location_id)
);
CREATE INDEX incident_locations_by_location ON incident_locations (location_id);

-- The timeline; rows are only ever added.
CREATE TABLE incident_updates (
    id             TEXT PRIMARY KEY,
    incident_id    TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    seq            INTEGER NOT NULL,
    state          TEXT NOT NULL,
    details        TEXT NOT NULL,
    levels         TEXT NOT NULL,         -- JSON: [{location_id, level}]
    subject        TEXT NOT NULL,
    channels       TEXT NOT NULL,         -- JSON: the broadcast flags chosen
    author         TEXT NOT NULL,
    at             INTEGER NOT NULL,
    next_update_in INTEGER,
    UNIQUE (incident_id, seq)
);

CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,           -- SHA-256 of the secret; the secret is never stored
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE UNIQUE INDEX tokens_by_secret ON tokens (secret_hash);

-- The audit log: who did what, when, with the state before and after. Append-only.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    page_id      TEXT,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   TEXT NOT NULL,
    note         TEXT,
    before       TEXT,
    after        TEXT
);
CREATE INDEX events_by_page ON events (page_id, id);

CREATE TRIGGER events_are_not_updated BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER events_are_not_deleted BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
