-- Each incident's issue in the tracker, which fills the templates' {issue_link}. Incidents
-- declared before it existed have none until someone adds it.
ALTER TABLE incidents ADD COLUMN issue_link TEXT;
