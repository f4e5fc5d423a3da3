-- Board order (column position, numeric priority, id) straight from an index: listing a page no
-- longer sorts every ticket of the board. `column_position` mirrors the position of the ticket's
-- column in `board_columns`; storage keeps it in step on every ticket write and column change.
-- A ticket in a column its board does not have (possible only in imported data) sorts last.
ALTER TABLE tickets ADD COLUMN column_position INTEGER NOT NULL DEFAULT 1000000;

UPDATE tickets SET column_position = COALESCE(
    (SELECT bc.position FROM board_columns bc
      WHERE bc.board_id = tickets.board_id AND bc.name = tickets.current_column),
    1000000);

CREATE INDEX idx_tickets_board_order ON tickets (board_id, column_position, priority, id);
