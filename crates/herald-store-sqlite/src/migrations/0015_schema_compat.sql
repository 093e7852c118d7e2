-- Which Heralds may still run on this schema: a release's migrations only add (tables,
-- columns, indexes), so a Herald that knows fewer of them keeps working beside a newer one
-- during a rolling restart. A migration that removes or changes what older code relies on
-- raises `oldest_reader` to its own version, and older Heralds then refuse the file.
CREATE TABLE schema_compat (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    oldest_reader INTEGER NOT NULL
);
INSERT INTO schema_compat (id, oldest_reader) VALUES (1, 15);
