-- Console users: the people who sign in, each with a role.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,    -- trimmed and lower-cased before it is stored
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    password_hash TEXT,                    -- Argon2id PHC string; NULL signs in by email link only
    disabled_at   INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
