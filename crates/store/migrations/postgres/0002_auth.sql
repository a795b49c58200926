-- Sign-in, roles and API tokens (Postgres; migrations/sqlite/0002_auth.sql is the same schema
-- in SQLite types, and its comments explain the columns). JSON columns are JSONB, as
-- audit.request is.

ALTER TABLE audit ADD COLUMN actor_role TEXT;

CREATE TABLE api_tokens (
    id               TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    secret_hash      TEXT    NOT NULL,
    role             TEXT    NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    registries       JSONB   NOT NULL CHECK (jsonb_typeof(registries) = 'array'),
    created_by       TEXT    NOT NULL,
    created_at_ms    BIGINT  NOT NULL,
    expires_at_ms    BIGINT  NOT NULL,
    last_used_at_ms  BIGINT,
    revoked_at_ms    BIGINT,
    revoked_by       TEXT,
    CHECK ((revoked_at_ms IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX api_tokens_created ON api_tokens (created_at_ms, id);

CREATE TABLE sessions (
    id_hash          TEXT    PRIMARY KEY,
    subject          JSONB   NOT NULL,
    token_id         TEXT    REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at_ms    BIGINT  NOT NULL,
    last_seen_at_ms  BIGINT  NOT NULL,
    expires_at_ms    BIGINT  NOT NULL,
    delegated        JSONB
);
CREATE INDEX sessions_expires ON sessions (expires_at_ms);
CREATE INDEX sessions_token ON sessions (token_id);

CREATE TABLE login_states (
    state            TEXT    PRIMARY KEY,
    nonce            TEXT    NOT NULL,
    pkce_verifier    TEXT    NOT NULL,
    return_to        TEXT    NOT NULL,
    created_at_ms    BIGINT  NOT NULL,
    expires_at_ms    BIGINT  NOT NULL
);
CREATE INDEX login_states_expires ON login_states (expires_at_ms);
