-- The update cadence engine: a deadline for the next public update of every incident (and
-- every maintenance window run by hand), nudges to the people running it, and who they are.
-- Times are microseconds since the Unix epoch, UTC. Enum values are their snake_case names.

-- Where a console user wants nudges: JSON [{channel: email|slack|teams|webhook, address}].
-- Empty: email to the user's own address.
ALTER TABLE users ADD COLUMN nudge_channels TEXT NOT NULL DEFAULT '[]';

-- The communications lead and the incident manager of an incident or maintenance window.
CREATE TABLE subject_roles (
    subject    TEXT NOT NULL CHECK (subject IN ('incident', 'maintenance')),
    subject_id TEXT NOT NULL,
    page_id    TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    lead_id    TEXT REFERENCES users(id),
    manager_id TEXT REFERENCES users(id),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (subject, subject_id)
);

-- When each public update was (or is) due, and what met the deadline: an update, the update
-- that resolved the subject, a snooze after the deadline (late), or the subject no longer
-- needing updates without one (`stopped`). At most one deadline per subject is open.
CREATE TABLE cadence_deadlines (
    id         INTEGER PRIMARY KEY,
    page_id    TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    subject    TEXT NOT NULL CHECK (subject IN ('incident', 'maintenance')),
    subject_id TEXT NOT NULL,
    due_at     INTEGER NOT NULL,
    met_at     INTEGER,
    met_by     TEXT CHECK (met_by IN ('update', 'resolved', 'snooze', 'stopped')),
    created_at INTEGER NOT NULL,
    CHECK ((met_at IS NULL) = (met_by IS NULL))
);
CREATE UNIQUE INDEX cadence_deadlines_one_open ON cadence_deadlines (subject, subject_id)
    WHERE met_at IS NULL;
CREATE INDEX cadence_deadlines_by_page ON cadence_deadlines (page_id, due_at);

-- A subject's deadlines and roles go with it (and, through the cascade, with its page).
CREATE TRIGGER incidents_drop_cadence AFTER DELETE ON incidents
BEGIN
    DELETE FROM cadence_deadlines WHERE subject = 'incident' AND subject_id = OLD.id;
    DELETE FROM subject_roles WHERE subject = 'incident' AND subject_id = OLD.id;
END;
CREATE TRIGGER maintenance_drop_cadence AFTER DELETE ON maintenance_windows
BEGIN
    DELETE FROM cadence_deadlines WHERE subject = 'maintenance' AND subject_id = OLD.id;
    DELETE FROM subject_roles WHERE subject = 'maintenance' AND subject_id = OLD.id;
END;

-- One more kind of job:
--   cadence_nudge: the `nudge` (before | due | escalate) of the open deadline `deadline_id`.
-- A moved or met deadline's jobs are deleted in the transaction that moves or meets it.
ALTER TABLE jobs ADD COLUMN deadline_id INTEGER REFERENCES cadence_deadlines(id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN nudge TEXT;
CREATE UNIQUE INDEX jobs_one_nudge ON jobs (deadline_id, nudge) WHERE kind = 'cadence_nudge';

-- What went to whom, for the console and the audit: one row per recipient of a nudge, or one
-- with no user when nobody was there to send it to. `deliveries` is JSON
-- [{channel, address, outcome: delivered|failed|retrying, error, at}].
CREATE TABLE nudges (
    id          INTEGER PRIMARY KEY,
    page_id     TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    subject     TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    deadline_id INTEGER REFERENCES cadence_deadlines(id) ON DELETE SET NULL,
    user_id     TEXT REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('before', 'due', 'escalate')),
    headline    TEXT NOT NULL,
    body        TEXT NOT NULL,
    url         TEXT NOT NULL,
    due_at      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    seen_at     INTEGER,                  -- set when the user saw it in the console
    deliveries  TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX nudges_by_page ON nudges (page_id, created_at);
CREATE INDEX nudges_by_user ON nudges (user_id, created_at) WHERE user_id IS NOT NULL;
CREATE INDEX nudges_by_deadline ON nudges (deadline_id, kind, due_at);
