//! Typed ids, so a ticket id can never be passed where a board id is expected.

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        $(#[$meta])*
        #[cfg_attr(feature = "openapi", schema(minimum = 1, examples(1)))]
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize,
            serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A board's id (positive, never reused).
    BoardId
);
id_type!(
    /// A ticket's id (positive, never reused).
    TicketId
);
id_type!(
    /// A comment's id (positive, never reused).
    CommentId
);
id_type!(
    /// A history row's id.
    HistoryId
);
id_type!(
    /// A user account's id (positive, never reused).
    UserId
);
