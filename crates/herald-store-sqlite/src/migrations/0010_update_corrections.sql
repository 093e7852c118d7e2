-- When a published update's text was last corrected; updates never corrected have none.
ALTER TABLE incident_updates ADD COLUMN edited_at INTEGER;
