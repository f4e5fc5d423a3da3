//! The tables of `migrations/`, written by hand so the Rust types are the ones the domain
//! needs: `BigInt` ids, `Double` priorities, `Timestamp` (UTC text) times.

diesel::table! {
    boards (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    board_columns (id) {
        id -> BigInt,
        board_id -> BigInt,
        position -> Integer,
        name -> Text,
    }
}

diesel::table! {
    tickets (id) {
        id -> BigInt,
        board_id -> BigInt,
        title -> Text,
        description -> Text,
        acceptance_criteria -> Text,
        priority -> Double,
        assignee -> Nullable<Text>,
        current_column -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        column_entered_at -> Timestamp,
        version -> BigInt,
        column_position -> Integer,
    }
}

diesel::table! {
    comments (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        text -> Text,
        author -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ticket_history (id) {
        id -> BigInt,
        ticket_id -> BigInt,
        field_name -> Text,
        old_value -> Nullable<Text>,
        new_value -> Nullable<Text>,
        changed_by -> Text,
        changed_at -> Timestamp,
        // The ticket's history row before this one (kept by a trigger, see `history`).
        previous_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        board_id -> BigInt,
        seq -> BigInt,
        event_type -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    event_sequences (board_id) {
        board_id -> BigInt,
        last_seq -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        email -> Text,
        password_hash -> Text,
        role -> Text,
        is_active -> Bool,
        is_superuser -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        last_login -> Nullable<Timestamp>,
    }
}

diesel::table! {
    logins (id) {
        id -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (digest) {
        digest -> Text,
        login_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    revoked_access_tokens (jti) {
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    display_sessions (digest) {
        digest -> Text,
        username -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(board_columns -> boards (board_id));
diesel::joinable!(tickets -> boards (board_id));
diesel::joinable!(comments -> tickets (ticket_id));
diesel::joinable!(ticket_history -> tickets (ticket_id));
diesel::joinable!(logins -> users (user_id));
diesel::joinable!(refresh_tokens -> logins (login_id));

diesel::allow_tables_to_appear_in_same_query!(
    boards,
    board_columns,
    tickets,
    comments,
    ticket_history,
    events,
    event_sequences,
    users,
    logins,
    refresh_tokens,
    revoked_access_tokens,
    display_sessions,
);
