-- Each claim of a job draws a token, and every later write of the job checks it: a worker
-- whose lease ran out (the job claimed again, or its row gone and the id reused by SQLite)
-- then changes nothing. Unclaimed jobs have none.
ALTER TABLE jobs ADD COLUMN lease INTEGER;
