//! [`SessionStore`]: display-name sessions by the digest of their id.

use crate::pool::SqliteStore;
use crate::rows::{from_db, to_db};
use crate::schema::display_sessions;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kanban_domain::account::{DisplaySession, SecretDigest};
use kanban_domain::ports::SessionStore;
use kanban_domain::values::AssigneeName;
use kanban_domain::{StoreError, Timestamp};

#[derive(Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = display_sessions, check_for_backend(diesel::sqlite::Sqlite))]
struct SessionRow {
    digest: String,
    username: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

impl From<SessionRow> for DisplaySession {
    fn from(row: SessionRow) -> Self {
        Self {
            username: AssigneeName::from_stored(row.username),
            created_at: from_db(row.created_at),
            expires_at: from_db(row.expires_at),
        }
    }
}

fn live(
    conn: &mut SqliteConnection,
    id: &SecretDigest,
    now: Timestamp,
) -> QueryResult<Option<SessionRow>> {
    display_sessions::table
        .find(id.as_str())
        .filter(display_sessions::expires_at.gt(to_db(now)))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

impl SessionStore for SqliteStore {
    fn create(&self, id: &SecretDigest, session: &DisplaySession) -> Result<(), StoreError> {
        let (id, session) = (id.clone(), session.clone());
        self.write(move |conn| {
            diesel::insert_into(display_sessions::table)
                .values(SessionRow {
                    digest: id.as_str().to_owned(),
                    username: session.username.as_str().to_owned(),
                    created_at: to_db(session.created_at).into(),
                    expires_at: to_db(session.expires_at).into(),
                })
                .execute(conn)?;
            Ok(())
        })
    }

    fn get(&self, id: &SecretDigest, now: Timestamp) -> Result<Option<DisplaySession>, StoreError> {
        self.read(|conn| Ok(live(conn, id, now)?.map(DisplaySession::from)))
    }

    fn rename(
        &self,
        id: &SecretDigest,
        username: &AssigneeName,
        now: Timestamp,
    ) -> Result<Option<DisplaySession>, StoreError> {
        let (id, username) = (id.clone(), username.clone());
        self.write(move |conn| {
            if live(conn, &id, now)?.is_none() {
                return Ok(None);
            }
            diesel::update(display_sessions::table.find(id.as_str()))
                .set(display_sessions::username.eq(username.as_str()))
                .execute(conn)?;
            Ok(live(conn, &id, now)?.map(DisplaySession::from))
        })
    }

    fn delete(&self, id: &SecretDigest) -> Result<bool, StoreError> {
        let id = id.clone();
        self.write(move |conn| {
            let removed =
                diesel::delete(display_sessions::table.find(id.as_str())).execute(conn)?;
            Ok(removed > 0)
        })
    }

    fn prune(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let removed = diesel::delete(
                display_sessions::table.filter(display_sessions::expires_at.le(to_db(now))),
            )
            .execute(conn)?;
            Ok(removed as u64)
        })
    }
}
