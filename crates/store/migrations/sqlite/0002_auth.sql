-- Sign-in, roles and API tokens (SQLite; migrations/postgres/0002_auth.sql is the same schema
-- in Postgres types). Applied after 0001 at Store::open, in its own transaction, over a
-- database that may already hold audit records; nothing here rewrites them.

-- The role the identity held for the decision (viewer, operator, admin); NULL when it held
-- none, and for every record written before roles. No CHECK: the audit trail records what
-- the portal decided with, and a rule here could only turn a write into a 503.
ALTER TABLE audit ADD COLUMN actor_role TEXT;

-- API tokens, for CI and for enrolling wall screens. The secret itself is never stored:
-- only the hex SHA-256 the caller computed, which is what a presented token is compared to.
-- Rows are never deleted, so the list shows who revoked what and when.
CREATE TABLE api_tokens (
    -- A short random public id, chosen by the caller (it appears in the token's text).
    id               TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    secret_hash      TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    -- A JSON array of registry patterns; ["*"] means all.
    registries       TEXT    NOT NULL CHECK (json_valid(registries) AND json_type(registries) = 'array'),
    created_by       TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL,
    last_used_at_ms  INTEGER,
    revoked_at_ms    INTEGER,
    revoked_by       TEXT,
    CHECK ((revoked_at_ms IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX api_tokens_created ON api_tokens (created_at_ms, id);

-- Server-side sessions: a signed-in person, or a device enrolled with an API token. Keyed by
-- the hex SHA-256 of the cookie value, so a copy of this table opens no session.
CREATE TABLE sessions (
    id_hash          TEXT    PRIMARY KEY,
    -- JSON, opaque to the store: the identity the server resolved.
    subject          TEXT    NOT NULL CHECK (json_valid(subject)),
    -- The token a device session was enrolled with; NULL for a signed-in person. Deleting a
    -- token (tokens are only revoked today) takes its device sessions with it.
    token_id         TEXT    REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at_ms    INTEGER NOT NULL,
    last_seen_at_ms  INTEGER NOT NULL,
    -- Absolute expiry, however active the session is.
    expires_at_ms    INTEGER NOT NULL,
    -- JSON, opaque: the person's tokens for acting as them; NULL when there are none.
    delegated        TEXT    CHECK (json_valid(delegated))
);
-- Purging scans by expiry; revoking a token finds its sessions.
CREATE INDEX sessions_expires ON sessions (expires_at_ms);
CREATE INDEX sessions_token ON sessions (token_id);

-- OpenID Connect sign-ins in flight: what the callback needs to check the answer. Each is
-- taken exactly once, by the callback, and lives a few minutes.
CREATE TABLE login_states (
    state            TEXT    PRIMARY KEY,
    nonce            TEXT    NOT NULL,
    pkce_verifier    TEXT    NOT NULL,
    return_to        TEXT    NOT NULL,
    created_at_ms    INTEGER NOT NULL,
    expires_at_ms    INTEGER NOT NULL
);
CREATE INDEX login_states_expires ON login_states (expires_at_ms);
