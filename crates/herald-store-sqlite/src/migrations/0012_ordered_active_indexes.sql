-- The lists of active incidents and windows are read newest first on every broadcast. Without
-- the order in the partial index, SQLite walks the whole history in order and skips the
-- resolved rows, which costs more the longer the history grows.
DROP INDEX incidents_active;
CREATE INDEX incidents_active ON incidents (page_id, created_at DESC, id DESC)
    WHERE state <> 'resolved';
DROP INDEX maintenance_windows_active;
CREATE INDEX maintenance_windows_active ON maintenance_windows (page_id, starts_at DESC, id DESC)
    WHERE state IN ('in_progress', 'verifying');
