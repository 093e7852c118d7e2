-- The stage checklist of each incident: the items a person ticked. Items Herald can see done
-- (the incident created, the post-mortem added) are worked out from the incident, not stored.
-- An item is named by its label in the page's checklist (settings.checklist).
CREATE TABLE checklist_ticks (
    incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    item        TEXT NOT NULL,
    ticked_by   TEXT NOT NULL,
    ticked_at   INTEGER NOT NULL,
    PRIMARY KEY (incident_id, item)
);

-- Each user's key for signing the webhook nudges sent to them (Standard Webhooks): every user
-- has one from the start, so the first nudge is signed.
ALTER TABLE users ADD COLUMN nudge_key BLOB;
UPDATE users SET nudge_key = randomblob(32);
CREATE TRIGGER users_nudge_key AFTER INSERT ON users WHEN NEW.nudge_key IS NULL
BEGIN
    UPDATE users SET nudge_key = randomblob(32) WHERE id = NEW.id;
END;
