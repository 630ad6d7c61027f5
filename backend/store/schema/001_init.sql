-- Ferry history, version 1. Times are INTEGER Unix milliseconds UTC, 0 when unset.

CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    email      TEXT    NOT NULL COLLATE NOCASE UNIQUE,
    status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at INTEGER NOT NULL
);
CREATE INDEX users_name ON users (name COLLATE NOCASE);

CREATE TABLE services (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL COLLATE NOCASE UNIQUE
);

CREATE TABLE migrations (
    id               INTEGER PRIMARY KEY,
    user_id          INTEGER NOT NULL REFERENCES users (id),
    service_id       INTEGER NOT NULL REFERENCES services (id),
    domain           TEXT    NOT NULL,
    method           TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    failure_reason   TEXT    NOT NULL DEFAULT '',
    current_step     TEXT    NOT NULL DEFAULT '',
    old_url          TEXT    NOT NULL DEFAULT '',
    new_url          TEXT    NOT NULL DEFAULT '',
    progress_percent REAL    NOT NULL DEFAULT 0,
    progress_speed   REAL    NOT NULL DEFAULT 0,
    progress_eta     REAL    NOT NULL DEFAULT -1,
    attached         INTEGER NOT NULL DEFAULT 0,
    verified         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER NOT NULL DEFAULT 0,
    completed_at     INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    -- search_text is lower-cased "id user email domain service": one LIKE per row keeps
    -- a search over 10,000 rows within a frame.
    search_text      TEXT    NOT NULL DEFAULT ''
);
-- The wide JSON lives beside the row, one to one, so searching and sorting 10,000 rows
-- reads only the narrow table above.
CREATE TABLE migration_configs (
    migration_id INTEGER PRIMARY KEY REFERENCES migrations (id) ON DELETE CASCADE,
    source       TEXT NOT NULL DEFAULT '{}', -- JSON, secrets sealed by the caller
    destination  TEXT NOT NULL DEFAULT '{}', -- JSON, secrets sealed by the caller
    options      TEXT NOT NULL DEFAULT '{}',
    results      TEXT NOT NULL DEFAULT ''    -- opaque JSON the pipeline and report fill
);

CREATE INDEX migrations_status_id ON migrations (status, id);
CREATE INDEX migrations_status_created ON migrations (status, created_at);
CREATE INDEX migrations_status_completed ON migrations (status, completed_at);
CREATE INDEX migrations_status_domain ON migrations (status, domain);
CREATE INDEX migrations_user ON migrations (user_id);
CREATE INDEX migrations_service ON migrations (service_id);

CREATE TABLE steps (
    migration_id INTEGER NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    step         TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'not_started',
    started_at   INTEGER NOT NULL DEFAULT 0,
    finished_at  INTEGER NOT NULL DEFAULT 0,
    error        TEXT    NOT NULL DEFAULT '',
    cursor       TEXT    NOT NULL DEFAULT '',
    percent      REAL    NOT NULL DEFAULT 0,
    PRIMARY KEY (migration_id, step)
) WITHOUT ROWID;

CREATE TABLE logs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    migration_id INTEGER NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    time         INTEGER NOT NULL,
    level        TEXT    NOT NULL,
    step         TEXT    NOT NULL DEFAULT '',
    message      TEXT    NOT NULL
);
CREATE INDEX logs_migration_seq ON logs (migration_id, seq);

CREATE TABLE attached_files (
    migration_id INTEGER NOT NULL REFERENCES migrations (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    path         TEXT    NOT NULL,
    size         INTEGER NOT NULL,
    attached_at  INTEGER NOT NULL,
    PRIMARY KEY (migration_id, kind)
) WITHOUT ROWID;

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE host_keys (
    hostport    TEXT    PRIMARY KEY,
    fingerprint TEXT    NOT NULL,
    first_seen  INTEGER NOT NULL
) WITHOUT ROWID;
