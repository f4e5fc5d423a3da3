CREATE INDEX idx_tickets_board_column_priority
    ON tickets (board_id, current_column, priority, id);
