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
