-- The board order's index also holds each ticket's version: a page of a board lists its tickets'
-- ids and versions from the index alone, and the server then reads in full only the tickets whose
-- version it has not encoded already. Moves, priority changes and new tickets rewrote their entry
-- already; claims, releases and edits now rewrite it too.
DROP INDEX idx_tickets_board_order;
CREATE INDEX idx_tickets_board_order ON tickets (board_id, column_position, priority, id, version);
