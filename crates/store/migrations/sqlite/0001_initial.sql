-- The first schema (SQLite; migrations/postgres/0001_initial.sql is the same schema in
-- Postgres types). Times are milliseconds since the Unix epoch. Registry names and regions
-- are kept as written (for display) and folded to lower case in *_lc columns (for filtering:
-- ARM compares them without regard to case); subscription ids are lower case already.
-- Outcomes and states have CHECKs (state machines the store enforces); actions and kinds do
-- not, because new kinds of write add names and a CHECK change means a table rebuild here.

-- One row per write attempt. Append-only: rows move forward, retention deletes final ones.
CREATE TABLE audit (
    -- AUTOINCREMENT: an id is never reused, even when retention deleted the newest rows,
    -- so cursors and "larger id = later attempt" stay true.
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms            INTEGER NOT NULL,
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
    request          TEXT    NOT NULL CHECK (json_valid(request)),
    outcome          TEXT    NOT NULL
                     CHECK (outcome IN ('pending', 'refused', 'accepted', 'succeeded', 'failed', 'unknown')),
    code             TEXT,
    message          TEXT,
    operation_id     TEXT,
    answered_at_ms   INTEGER,
    ended_at_ms      INTEGER,
    arm_ms           INTEGER CHECK (arm_ms >= 0),
    CHECK ((registry_sub IS NULL) = (registry_name IS NULL) AND (registry_rg IS NULL) = (registry_name IS NULL))
);
-- Listing is newest first (id DESC) under each filter; every index ends in id so the
-- filtered scan is already in page order. audit_at also serves retention.
CREATE INDEX audit_at ON audit (at_ms, id);
CREATE INDEX audit_registry ON audit (registry_sub, registry_rg_lc, registry_name_lc, id);
CREATE INDEX audit_region ON audit (region_lc, id);
CREATE INDEX audit_actor ON audit (actor, id);
CREATE INDEX audit_outcome ON audit (outcome, id);

-- Writes the portal started and follows until they end.
CREATE TABLE operations (
    -- Insertion order, to break ties between equal start times.
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    registry_sub   TEXT    NOT NULL,
    registry_rg    TEXT    NOT NULL,
    registry_name  TEXT    NOT NULL,
    replication    TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'unknown')),
    error          TEXT,
    started_at_ms  INTEGER NOT NULL,
    ended_at_ms    INTEGER,
    -- No foreign key: audit retention may delete the record while the operation is kept.
    audit_id       INTEGER,
    monitor_kind   TEXT    CHECK (monitor_kind IN ('async_operation', 'location')),
    monitor_url    TEXT,
    deadline_ms    INTEGER NOT NULL,
    CHECK ((monitor_kind IS NULL) = (monitor_url IS NULL))
);
CREATE INDEX operations_started ON operations (started_at_ms, seq);
CREATE INDEX operations_unfinished ON operations (started_at_ms, seq) WHERE state IN ('running', 'unknown');

-- Idempotency keys: a claim while the request runs (status NULL), then its answer for replay.
CREATE TABLE idempotency (
    key            TEXT    PRIMARY KEY,
    fingerprint    TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    status         INTEGER CHECK (status BETWEEN 100 AND 599),
    headers        TEXT,
    body           BLOB
);
CREATE INDEX idempotency_expires ON idempotency (expires_at_ms);
