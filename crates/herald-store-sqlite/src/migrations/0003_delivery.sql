-- Subscribers, broadcasts, and the one durable job table delivery works from.
-- Times are microseconds since the Unix epoch, UTC. Enum values are their snake_case names.

CREATE TABLE subscribers (
    id              TEXT PRIMARY KEY,         -- time-ordered: the fan-out walks them by id
    page_id         TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,            -- email | webhook | slack | teams
    address         TEXT NOT NULL,            -- the email address or the URL
    format          TEXT NOT NULL,            -- herald | statuspage (webhooks)
    state           TEXT NOT NULL,            -- pending | active | disabled
    secret          TEXT,                     -- webhook signing secret (whsec_...)
    previous_secret TEXT,                     -- still signed with, until previous_until
    previous_until  INTEGER,
    disabled_reason TEXT,
    failing_since   INTEGER,                  -- first failure not followed by a success
    confirm_sent_at INTEGER,                  -- last confirmation email queued
    created_at      INTEGER NOT NULL,
    confirmed_at    INTEGER,
    updated_at      INTEGER NOT NULL,
    UNIQUE (page_id, channel, address)
);
CREATE INDEX subscribers_active ON subscribers (page_id, id) WHERE state = 'active';

-- A subscriber with rows here hears only about these components.
CREATE TABLE subscriber_components (
    subscriber_id TEXT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    component_id  TEXT NOT NULL REFERENCES components(id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, component_id)
);

-- One row per published change, written in the publishing transaction whatever the number
-- of subscribers. The snapshot is the incident or window as published.
CREATE TABLE broadcasts (
    id            TEXT PRIMARY KEY,
    page_id       TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    event         TEXT NOT NULL,              -- incident.updated, maintenance.scheduled, ...
    subject       TEXT NOT NULL,              -- incident | maintenance
    subject_id    TEXT NOT NULL,
    update_id     TEXT,
    channels      TEXT NOT NULL,              -- JSON: the subscriber channels chosen
    components    TEXT NOT NULL,              -- JSON: the component ids touched
    skipped       TEXT NOT NULL,              -- JSON: [{channel, reason}]
    snapshot      TEXT NOT NULL,              -- JSON
    created_at    INTEGER NOT NULL,
    fanned_out_at INTEGER                     -- when the walk over the subscribers ended
);
CREATE INDEX broadcasts_by_subject ON broadcasts (subject_id, created_at);

-- Per broadcast and channel: subscribers the walk found, delivered to, and given up on.
CREATE TABLE broadcast_channels (
    broadcast_id  TEXT NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    channel       TEXT NOT NULL,
    matched       INTEGER NOT NULL DEFAULT 0,
    delivered     INTEGER NOT NULL DEFAULT 0,
    failed        INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    last_error_at INTEGER,
    PRIMARY KEY (broadcast_id, channel)
);

-- The work still to do, claimed by due time. Claiming moves due_at forward by a lease, so
-- work a crashed process held comes due again by itself.
--   fanout:       walk the broadcast's subscribers after `cursor`
--   delivery:     send the broadcast to one subscriber (a retry, or one handed off mid-walk)
--   confirmation: the double opt-in email to a pending subscriber
--   notice:       tell the page's admins that a subscriber was disabled
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL,
    due_at          INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    page_id         TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    broadcast_id    TEXT REFERENCES broadcasts(id) ON DELETE CASCADE,
    subscriber_id   TEXT REFERENCES subscribers(id) ON DELETE CASCADE,
    channel         TEXT,
    cursor          TEXT,
    note            TEXT,                     -- notice: the reason
    last_error      TEXT,
    created_at      INTEGER NOT NULL
);
CREATE INDEX jobs_due ON jobs (due_at);
CREATE INDEX jobs_by_broadcast ON jobs (broadcast_id) WHERE broadcast_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_one_delivery ON jobs (broadcast_id, subscriber_id) WHERE kind = 'delivery';

-- Keys of this installation: `links` signs subscribers' confirm and manage links.
CREATE TABLE server_keys (
    name   TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);
