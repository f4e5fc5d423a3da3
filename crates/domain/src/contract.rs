//! The contract suite of the storage ports: one function per behaviour, generic over how a fresh,
//! empty set of ports is made, panicking when the adapter under test breaks the contract.
//!
//! Every adapter runs the whole suite: the in-memory one in this crate's tests, the SQLite one in
//! the storage crate's tests. Each function calls `make` for a fresh store of its own; a factory
//! must hand out an empty store on every call (for SQLite, a new temporary database file).
//!
//! ```ignore
//! // In an adapter's test binary: one #[test] per contract function.
//! kanban_domain::contract_tests!(my_adapter_factory());
//! ```
//!
//! Compiled for this crate's tests and, for other crates, behind the `contract-tests` feature.

mod batch;
mod boards;
mod comments;
mod events;
mod fixtures;
mod health;
mod history;
mod listing;
mod statistics;
mod tickets;
mod tokens;
mod users;

pub use batch::{
    ticket_update_many_applies_every_change_with_history_and_events,
    ticket_update_many_is_all_or_nothing, ticket_update_many_races_have_one_winner,
};
pub use boards::{
    board_create_get_list_first, board_delete_cascades_but_keeps_events,
    board_update_applies_and_checks_version, board_update_refuses_ticket_left_in_removed_column,
    board_update_relocates_and_renames_tickets, board_update_with_stale_ticket_is_conflict,
};
pub use comments::comments_oldest_first_create_and_delete;
pub use events::{
    event_seq_per_board_across_write_kinds, event_since_and_bounds,
    events_prune_by_age_and_seq_never_restarts,
};
pub use health::health_probe_and_inventory_count_everything;
pub use history::{
    history_board_activity, history_change_counts, history_column_changes_oldest_first,
    history_for_ticket_newest_first_with_filter_and_limit, history_recent_activity_spans_boards,
};
pub use listing::{
    ticket_list_filters_and_pages, ticket_list_orders_by_column_position_priority_and_id,
    ticket_list_page_counts_at_the_boards_stamp,
    ticket_list_page_skips_tickets_held_at_their_version,
    ticket_list_pages_are_slices_of_the_board_order,
};
pub use statistics::{history_column_entries_since, ticket_timings_in_board_order};
pub use tickets::{
    ticket_claims_race_has_one_winner, ticket_create_checks_board_version,
    ticket_create_round_trips_with_effects, ticket_delete_cascades_and_checks_version,
    ticket_update_is_compare_and_set,
};
pub use tokens::{
    sessions_live_until_expiry, tokens_concurrent_rotation_has_one_winner,
    tokens_prune_forgets_only_the_expired, tokens_revoke_logins_and_access_ids,
    tokens_rotate_and_detect_reuse,
};
pub use users::{
    users_create_first_admin_and_unique_names, users_list_pages_by_id,
    users_update_changes_only_given_fields,
};

use crate::ports::Repositories;

/// Makes a fresh, empty set of ports.
pub type Factory<'a> = &'a dyn Fn() -> Repositories;

/// Runs the whole suite in one go (each function still gets fresh stores from `make`); for
/// checks that need every query an adapter issues, such as query-plan audits.
pub fn run_all(make: Factory<'_>) {
    board_create_get_list_first(make);
    board_update_applies_and_checks_version(make);
    board_update_relocates_and_renames_tickets(make);
    board_update_refuses_ticket_left_in_removed_column(make);
    board_update_with_stale_ticket_is_conflict(make);
    board_delete_cascades_but_keeps_events(make);
    ticket_create_round_trips_with_effects(make);
    ticket_create_checks_board_version(make);
    ticket_update_is_compare_and_set(make);
    ticket_claims_race_has_one_winner(make);
    ticket_update_many_applies_every_change_with_history_and_events(make);
    ticket_update_many_is_all_or_nothing(make);
    ticket_update_many_races_have_one_winner(make);
    ticket_list_orders_by_column_position_priority_and_id(make);
    ticket_list_filters_and_pages(make);
    ticket_list_pages_are_slices_of_the_board_order(make);
    ticket_list_page_skips_tickets_held_at_their_version(make);
    ticket_list_page_counts_at_the_boards_stamp(make);
    ticket_delete_cascades_and_checks_version(make);
    comments_oldest_first_create_and_delete(make);
    history_for_ticket_newest_first_with_filter_and_limit(make);
    history_column_changes_oldest_first(make);
    history_board_activity(make);
    history_change_counts(make);
    history_recent_activity_spans_boards(make);
    health_probe_and_inventory_count_everything(make);
    ticket_timings_in_board_order(make);
    history_column_entries_since(make);
    event_seq_per_board_across_write_kinds(make);
    event_since_and_bounds(make);
    events_prune_by_age_and_seq_never_restarts(make);
    users_create_first_admin_and_unique_names(make);
    users_list_pages_by_id(make);
    users_update_changes_only_given_fields(make);
    tokens_rotate_and_detect_reuse(make);
    tokens_concurrent_rotation_has_one_winner(make);
    tokens_revoke_logins_and_access_ids(make);
    tokens_prune_forgets_only_the_expired(make);
    sessions_live_until_expiry(make);
}

/// Defines one `#[test]` per contract function, each running it against the ports that `$make`
/// (an expression evaluating to a `Fn() -> Repositories`, evaluated once per test) produces.
#[macro_export]
macro_rules! contract_tests {
    ($make:expr) => {
        $crate::contract_tests!(@each $make;
            board_create_get_list_first,
            board_update_applies_and_checks_version,
            board_update_relocates_and_renames_tickets,
            board_update_refuses_ticket_left_in_removed_column,
            board_update_with_stale_ticket_is_conflict,
            board_delete_cascades_but_keeps_events,
            ticket_create_round_trips_with_effects,
            ticket_create_checks_board_version,
            ticket_update_is_compare_and_set,
            ticket_claims_race_has_one_winner,
            ticket_update_many_applies_every_change_with_history_and_events,
            ticket_update_many_is_all_or_nothing,
            ticket_update_many_races_have_one_winner,
            ticket_list_orders_by_column_position_priority_and_id,
            ticket_list_filters_and_pages,
            ticket_list_pages_are_slices_of_the_board_order,
            ticket_list_page_skips_tickets_held_at_their_version,
            ticket_list_page_counts_at_the_boards_stamp,
            ticket_delete_cascades_and_checks_version,
            comments_oldest_first_create_and_delete,
            history_for_ticket_newest_first_with_filter_and_limit,
            history_column_changes_oldest_first,
            history_board_activity,
            history_change_counts,
            history_recent_activity_spans_boards,
            health_probe_and_inventory_count_everything,
            ticket_timings_in_board_order,
            history_column_entries_since,
            event_seq_per_board_across_write_kinds,
            event_since_and_bounds,
            events_prune_by_age_and_seq_never_restarts,
            users_create_first_admin_and_unique_names,
            users_list_pages_by_id,
            users_update_changes_only_given_fields,
            tokens_rotate_and_detect_reuse,
            tokens_concurrent_rotation_has_one_winner,
            tokens_revoke_logins_and_access_ids,
            tokens_prune_forgets_only_the_expired,
            sessions_live_until_expiry,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let make = $make;
                $crate::contract::$name(&make);
            }
        )*
    };
}

#[cfg(test)]
mod memory {
    crate::contract_tests!(crate::memory::repositories);

    #[test]
    fn whole_suite_in_one_run() {
        super::run_all(&crate::memory::repositories);
    }
}
