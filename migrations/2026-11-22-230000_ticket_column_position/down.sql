DROP INDEX idx_tickets_board_order;
ALTER TABLE tickets DROP COLUMN column_position;
