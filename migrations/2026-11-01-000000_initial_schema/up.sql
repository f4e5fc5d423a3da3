-- Agent Kanban schema (SQLite).
--
-- Timestamps are UTC text written by Diesel's `Timestamp` type ("YYYY-MM-DD HH:MM:SS.fff"), which
-- sorts and compares correctly as text. Ids come from AUTOINCREMENT so they are never reused.
-- Every foreign key column is indexed, so the ON DELETE CASCADE of a board or ticket is cheap.

CREATE TABLE boards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    version     BIGINT  NOT NULL DEFAULT 1
);

-- A board's columns in display order. Names are unique per board (the domain also compares them
-- ignoring case); (board_id, name) serves the join that orders tickets by column position.
CREATE TABLE board_columns (
    id       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    board_id BIGINT  NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT    NOT NULL,
    UNIQUE (board_id, position),
    UNIQUE (board_id, name)
);

CREATE TABLE tickets (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    board_id            BIGINT  NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
    title               TEXT    NOT NULL,
    description         TEXT    NOT NULL DEFAULT '',
    acceptance_criteria TEXT    NOT NULL DEFAULT '',
    priority            REAL    NOT NULL DEFAULT 1.0,
    assignee            TEXT,
    -- The board's spelling of one of its columns.
    current_column      TEXT    NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    column_entered_at   TEXT    NOT NULL,
    version             BIGINT  NOT NULL DEFAULT 1
);

-- Board listings (by column, then numeric priority, then id), ticket counts, column guards.
CREATE INDEX idx_tickets_board_column_priority
    ON tickets (board_id, current_column, priority, id);
-- "My tickets" and claim lookups.
CREATE INDEX idx_tickets_board_assignee ON tickets (board_id, assignee);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ticket_id  BIGINT  NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    text       TEXT    NOT NULL,
    author     TEXT    NOT NULL,
    created_at TEXT    NOT NULL
);

CREATE INDEX idx_comments_ticket ON comments (ticket_id, id);

-- One row per changed field, written in the transaction of the change it describes.
CREATE TABLE ticket_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ticket_id  BIGINT  NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    field_name TEXT    NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    changed_by TEXT    NOT NULL,
    changed_at TEXT    NOT NULL
);

-- A ticket's history and transitions (newest or oldest first).
CREATE INDEX idx_ticket_history_ticket ON ticket_history (ticket_id, changed_at);
-- Board activity and change statistics over a time window.
CREATE INDEX idx_ticket_history_changed_at ON ticket_history (changed_at);

-- The event log. No foreign key on board_id: a board's events, `board_deleted` included, outlive
-- the board until they are pruned by age.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    board_id   BIGINT  NOT NULL,
    seq        BIGINT  NOT NULL,
    event_type TEXT    NOT NULL,
    -- The event's data as JSON text.
    payload    TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (board_id, seq)
);

-- Pruning by age.
CREATE INDEX idx_events_created_at ON events (created_at);

-- The last sequence number handed out per board, kept apart from `events` so numbering never
-- restarts after pruning or after the board is deleted.
CREATE TABLE event_sequences (
    board_id INTEGER PRIMARY KEY NOT NULL,
    last_seq BIGINT  NOT NULL
);
