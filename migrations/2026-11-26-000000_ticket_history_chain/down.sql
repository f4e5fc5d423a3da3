DROP TRIGGER ticket_history_chain;
DROP TRIGGER ticket_history_of_a_ticket;

CREATE TABLE ticket_history_indexed (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ticket_id  BIGINT  NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    field_name TEXT    NOT NULL,
    old_value  TEXT,
    new_value  TEXT,
    changed_by TEXT    NOT NULL,
    changed_at TEXT    NOT NULL
);

INSERT INTO ticket_history_indexed
    (id, ticket_id, field_name, old_value, new_value, changed_by, changed_at)
SELECT id, ticket_id, field_name, old_value, new_value, changed_by, changed_at
  FROM ticket_history;

DELETE FROM sqlite_sequence WHERE name = 'ticket_history_indexed';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'ticket_history_indexed', seq FROM sqlite_sequence WHERE name = 'ticket_history';

DROP TABLE ticket_history;
ALTER TABLE ticket_history_indexed RENAME TO ticket_history;

CREATE INDEX idx_ticket_history_ticket ON ticket_history (ticket_id, changed_at);
CREATE INDEX idx_ticket_history_changed_at ON ticket_history (changed_at);

ALTER TABLE tickets DROP COLUMN last_history_id;
