-- Maintenance automation: windows start and complete on their own, and remind subscribers.

-- Minutes before the planned start at which subscribers are reminded (JSON, furthest first).
-- Windows scheduled before reminders existed have none.
ALTER TABLE maintenance_windows ADD COLUMN reminders TEXT NOT NULL DEFAULT '[]';

-- More kinds of job, each for one window:
--   maintenance_start:    start it at its planned start (automation on)
--   maintenance_end:      complete it at its planned end (automation on)
--   maintenance_reminder: remind its subscribers `offset_mins` before the start of the plan
--                         numbered `plan_sequence` (a reschedule makes a new plan)
ALTER TABLE jobs ADD COLUMN maintenance_id TEXT REFERENCES maintenance_windows(id) ON DELETE CASCADE;
ALTER TABLE jobs ADD COLUMN offset_mins INTEGER;
ALTER TABLE jobs ADD COLUMN plan_sequence INTEGER;
CREATE INDEX jobs_by_maintenance ON jobs (maintenance_id) WHERE maintenance_id IS NOT NULL;
CREATE UNIQUE INDEX jobs_one_reminder ON jobs (maintenance_id, plan_sequence, offset_mins)
    WHERE kind = 'maintenance_reminder';

-- Reminders sent (or passed over for a later one), so none goes out twice.
CREATE TABLE maintenance_reminders_sent (
    maintenance_id TEXT NOT NULL REFERENCES maintenance_windows(id) ON DELETE CASCADE,
    plan_sequence  INTEGER NOT NULL,
    offset_mins    INTEGER NOT NULL,
    sent_at        INTEGER NOT NULL,
    PRIMARY KEY (maintenance_id, plan_sequence, offset_mins)
);

-- Windows already planned with automation on get their transitions armed.
INSERT INTO jobs (kind, due_at, page_id, maintenance_id, created_at)
    SELECT 'maintenance_start', starts_at, page_id, id, updated_at FROM maintenance_windows
    WHERE state = 'scheduled' AND automation = 1;
INSERT INTO jobs (kind, due_at, page_id, maintenance_id, created_at)
    SELECT 'maintenance_end', ends_at, page_id, id, updated_at FROM maintenance_windows
    WHERE state IN ('in_progress', 'verifying') AND automation = 1;
