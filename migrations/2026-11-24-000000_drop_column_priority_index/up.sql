-- `idx_tickets_board_order` (board_id, column_position, priority, id) serves every query the
-- board-column index served: a filter by column names is also a filter by their positions (storage
-- keeps `column_position` in step with `board_columns`). Every move and every new ticket kept both
-- indexes up to date, the dropped one comparing column names as text.
DROP INDEX idx_tickets_board_column_priority;
