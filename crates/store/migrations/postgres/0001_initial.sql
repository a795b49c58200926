-- The first schema (Postgres; migrations/sqlite/0001_initial.sql is the same schema in
-- SQLite types, and its comments explain the columns). Times are milliseconds since the
-- Unix epoch in BIGINT; *_lc columns hold names folded to lower case for filtering.

CREATE TABLE audit (
    -- Identity values are never reused. Under concurrent inserts they are handed out before
    -- commit, so a reader can briefly see id N+1 before N; pages are still id-ordered.
    id               BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at_ms            BIGINT  NOT NULL,
    actor            TEXT    NOT NULL,
    actor_source     TEXT    NOT NULL,
    client_ip        TEXT    NOT NULL,
    request_id       TEXT    NOT NULL,
    correlation_id   TEXT    NOT NULL,
    arm_request_id   TEXT,
    registry_sub     TEXT,
    registry_rg      TEXT,
    registry_rg_lc   TEXT,
    registry_name    TEXT,
    registry_name_lc TEXT,
    region           TEXT,
    region_lc        TEXT,
    replication      TEXT,
    action           TEXT    NOT NULL,
    request          JSONB   NOT NULL,
    outcome          TEXT    NOT NULL
                     CHECK (outcome IN ('pending', 'refused', 'accepted', 'succeeded', 'failed', 'unknown')),
    code             TEXT,
    message          TEXT,
    operation_id     TEXT,
    answered_at_ms   BIGINT,
    ended_at_ms      BIGINT,
    arm_ms           BIGINT  CHECK (arm_ms >= 0),
    CHECK ((registry_sub IS NULL) = (registry_name IS NULL) AND (registry_rg IS NULL) = (registry_name IS NULL))
);
CREATE INDEX audit_at ON audit (at_ms, id);
CREATE INDEX audit_registry ON audit (registry_sub, registry_rg_lc, registry_name_lc, id);
CREATE INDEX audit_region ON audit (region_lc, id);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_outcome ON audit (outcome, id);

CREATE TABLE operations (
    seq            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    registry_sub   TEXT    NOT NULL,
    registry_rg    TEXT    NOT NULL,
    registry_name  TEXT    NOT NULL,
    replication    TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'unknown')),
    error          TEXT,
    started_at_ms  BIGINT  NOT NULL,
    ended_at_ms    BIGINT,
    audit_id       BIGINT,
    monitor_kind   TEXT    CHECK (monitor_kind IN ('async_operation', 'location')),
    monitor_url    TEXT,
    deadline_ms    BIGINT  NOT NULL,
    CHECK ((monitor_kind IS NULL) = (monitor_url IS NULL))
);
CREATE INDEX operations_started ON operations (started_at_ms, seq);
CREATE INDEX operations_unfinished ON operations (started_at_ms, seq) WHERE state IN ('running', 'unknown');

CREATE TABLE idempotency (
    key            TEXT    PRIMARY KEY,
    fingerprint    TEXT    NOT NULL,
    created_at_ms  BIGINT  NOT NULL,
    expires_at_ms  BIGINT  NOT NULL,
    status         BIGINT  CHECK (status BETWEEN 100 AND 599),
    headers        TEXT,
    body           BYTEA
);
CREATE INDEX idempotency_expires ON idempotency (expires_at_ms);
