-- Ferry history, version 2: batches. A batch is one list of sites sharing a source host and
-- a destination host; each of its rows becomes one migration.

CREATE TABLE batches (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    shared     TEXT    NOT NULL DEFAULT '{}', -- JSON of the shared settings, secrets sealed by the caller
    created_at INTEGER NOT NULL
);

-- One row per site of the list, in the list's order. migration_id is 0 until the site's
-- migration is created, so a batch killed while creating them can finish the rest.
CREATE TABLE batch_sites (
    batch_id     INTEGER NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    line         INTEGER NOT NULL, -- line of the sites file, for messages
    site         TEXT    NOT NULL, -- JSON of the row's own values (no secrets)
    migration_id INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (batch_id, line)
) WITHOUT ROWID;
CREATE INDEX batch_sites_migration ON batch_sites (migration_id);
