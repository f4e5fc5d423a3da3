DROP INDEX idx_tickets_board_order;
CREATE INDEX idx_tickets_board_order ON tickets (board_id, column_position, priority, id);
