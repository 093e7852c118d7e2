-- Console sign-in: sessions, and one-time sign-in links sent by email. Both secrets are stored
-- only as SHA-256 hashes, so a copy of the database signs nobody in.

CREATE TABLE sessions (
    id            TEXT PRIMARY KEY,          -- names the session in the audit log
    secret_hash   TEXT NOT NULL UNIQUE,      -- of the cookie's value
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf          TEXT NOT NULL,             -- every console form carries it back
    method        TEXT NOT NULL,             -- password | link
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,          -- idle sessions expire
    expires_at    INTEGER NOT NULL,          -- and every session at last
    ended_at      INTEGER                    -- signed out
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE sign_in_links (
    secret_hash TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER                      -- a link signs in once
);
CREATE INDEX sign_in_links_by_user ON sign_in_links (user_id, created_at);
