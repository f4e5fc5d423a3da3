-- A ticket's history is found by following a chain, from the ticket's newest history row
-- (`tickets.last_history_id`) through each row's `previous_id`, instead of through an index on
-- (ticket_id, changed_at). That index took each change's entry at the ticket's place in it, a
-- random page: every change of a batch wrote a page of its own, and once the history held some
-- hundred rows per ticket, that index was most of what a batch of moves wrote to the log (see
-- docs/performance.md). The chain is kept by the triggers below, whoever inserts the row.
--
-- Without that index, SQLite could only enforce the foreign key to tickets by scanning the
-- history on every ticket deleted; the store deletes a ticket's history itself, along the chain,
-- and a trigger refuses a row for a ticket that does not exist, as the foreign key did.

ALTER TABLE tickets ADD COLUMN last_history_id BIGINT;

-- Through the old index, before it goes.
UPDATE tickets SET last_history_id = (
    SELECT MAX(h.id) FROM ticket_history h WHERE h.ticket_id = tickets.id);

CREATE TABLE ticket_history_chained (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ticket_id   BIGINT  NOT NULL,
    field_name  TEXT    NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    changed_by  TEXT    NOT NULL,
    changed_at  TEXT    NOT NULL,
    -- The ticket's history row before this one; NULL for its first.
    previous_id BIGINT
);

INSERT INTO ticket_history_chained
    (id, ticket_id, field_name, old_value, new_value, changed_by, changed_at, previous_id)
SELECT id, ticket_id, field_name, old_value, new_value, changed_by, changed_at,
       LAG(id) OVER (PARTITION BY ticket_id ORDER BY id)
  FROM ticket_history;

-- Ids are never given out again: the new table goes on from where the old one's counter was.
DELETE FROM sqlite_sequence WHERE name = 'ticket_history_chained';
INSERT INTO sqlite_sequence (name, seq)
SELECT 'ticket_history_chained', seq FROM sqlite_sequence WHERE name = 'ticket_history';

DROP TABLE ticket_history;
ALTER TABLE ticket_history_chained RENAME TO ticket_history;

CREATE INDEX idx_ticket_history_changed_at ON ticket_history (changed_at);

CREATE TRIGGER ticket_history_of_a_ticket BEFORE INSERT ON ticket_history
WHEN NOT EXISTS (SELECT 1 FROM tickets WHERE id = NEW.ticket_id)
BEGIN
    SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed');
END;

CREATE TRIGGER ticket_history_chain AFTER INSERT ON ticket_history
BEGIN
    UPDATE ticket_history
       SET previous_id = (SELECT last_history_id FROM tickets WHERE id = NEW.ticket_id)
     WHERE id = NEW.id;
    UPDATE tickets SET last_history_id = NEW.id WHERE id = NEW.ticket_id;
END;
