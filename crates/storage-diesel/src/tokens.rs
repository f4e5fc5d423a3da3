//! [`TokenStore`]: logins (refresh-token families), refresh tokens by digest, revoked access
//! tokens. A rotation is one `BEGIN IMMEDIATE` transaction, so of concurrent presentations of one
//! token exactly one finds it unused.

use crate::error::Work;
use crate::pool::SqliteStore;
use crate::rows::{from_db, to_db};
use crate::schema::{logins, refresh_tokens, revoked_access_tokens};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kanban_domain::account::{LoginId, NewRefreshToken, Rotation, SecretDigest};
use kanban_domain::ports::TokenStore;
use kanban_domain::{StoreError, Timestamp, UserId};

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
struct NewRefreshRow<'a> {
    digest: &'a str,
    login_id: &'a str,
    issued_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

fn insert_refresh(conn: &mut SqliteConnection, token: &NewRefreshToken, login: &str) -> Work<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(NewRefreshRow {
            digest: token.digest.as_str(),
            login_id: login,
            issued_at: to_db(token.issued_at).into(),
            expires_at: to_db(token.expires_at).into(),
        })
        .execute(conn)?;
    Ok(())
}

fn revoke(conn: &mut SqliteConnection, login: &str, at: Timestamp) -> Work<()> {
    diesel::update(
        logins::table
            .filter(logins::id.eq(login))
            .filter(logins::revoked_at.is_null()),
    )
    .set(logins::revoked_at.eq(to_db(at)))
    .execute(conn)?;
    Ok(())
}

impl TokenStore for SqliteStore {
    fn start_login(&self, user_id: UserId, first: &NewRefreshToken) -> Result<(), StoreError> {
        let first = first.clone();
        self.write(move |conn| {
            diesel::insert_into(logins::table)
                .values((
                    logins::id.eq(first.login.as_str()),
                    logins::user_id.eq(user_id.get()),
                    logins::created_at.eq(to_db(first.issued_at)),
                ))
                .execute(conn)?;
            insert_refresh(conn, &first, first.login.as_str())
        })
    }

    fn rotate(
        &self,
        presented: &SecretDigest,
        next: &NewRefreshToken,
        now: Timestamp,
    ) -> Result<Rotation, StoreError> {
        let (presented, next) = (presented.clone(), next.clone());
        self.write(move |conn| {
            type Found = (
                String,
                NaiveDateTime,
                Option<NaiveDateTime>,
                i64,
                Option<NaiveDateTime>,
            );
            let found: Option<Found> = refresh_tokens::table
                .inner_join(logins::table)
                .filter(refresh_tokens::digest.eq(presented.as_str()))
                .select((
                    refresh_tokens::login_id,
                    refresh_tokens::expires_at,
                    refresh_tokens::used_at,
                    logins::user_id,
                    logins::revoked_at,
                ))
                .first(conn)
                .optional()?;
            let Some((login, expires_at, used_at, user_id, revoked_at)) = found else {
                return Ok(Rotation::Invalid);
            };
            if revoked_at.is_some() || from_db(expires_at) <= now {
                return Ok(Rotation::Invalid);
            }
            let user_id = UserId::new(user_id);
            if used_at.is_some() {
                revoke(conn, &login, now)?;
                return Ok(Rotation::Reused {
                    user_id,
                    login: LoginId::new(login),
                });
            }
            diesel::update(refresh_tokens::table.find(presented.as_str()))
                .set(refresh_tokens::used_at.eq(to_db(now)))
                .execute(conn)?;
            insert_refresh(conn, &next, &login)?;
            Ok(Rotation::Rotated {
                user_id,
                login: LoginId::new(login),
            })
        })
    }

    fn revoke_login(&self, login: &LoginId, at: Timestamp) -> Result<(), StoreError> {
        let login = login.clone();
        self.write(move |conn| revoke(conn, login.as_str(), at))
    }

    fn revoke_logins_of(
        &self,
        user_id: UserId,
        keep: Option<LoginId>,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let kept = keep.as_ref().map_or("", LoginId::as_str);
            let revoked = diesel::update(
                logins::table
                    .filter(logins::user_id.eq(user_id.get()))
                    .filter(logins::revoked_at.is_null())
                    .filter(logins::id.ne(kept)),
            )
            .set(logins::revoked_at.eq(to_db(at)))
            .execute(conn)?;
            Ok(revoked as u64)
        })
    }

    fn revoke_access(&self, jti: &str, expires_at: Timestamp) -> Result<(), StoreError> {
        let jti = jti.to_owned();
        self.write(move |conn| {
            diesel::insert_into(revoked_access_tokens::table)
                .values((
                    revoked_access_tokens::jti.eq(&jti),
                    revoked_access_tokens::expires_at.eq(to_db(expires_at)),
                ))
                .on_conflict(revoked_access_tokens::jti)
                .do_nothing()
                .execute(conn)?;
            Ok(())
        })
    }

    fn access_revoked(&self, jti: &str, login: &LoginId) -> Result<bool, StoreError> {
        self.read(|conn| {
            let live_login: Option<String> = logins::table
                .filter(logins::id.eq(login.as_str()))
                .filter(logins::revoked_at.is_null())
                .select(logins::id)
                .first(conn)
                .optional()?;
            if live_login.is_none() {
                return Ok(true);
            }
            let revoked: Option<String> = revoked_access_tokens::table
                .find(jti)
                .select(revoked_access_tokens::jti)
                .first(conn)
                .optional()?;
            Ok(revoked.is_some())
        })
    }

    fn prune(&self, now: Timestamp) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let now = to_db(now);
            let tokens =
                diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.le(now)))
                    .execute(conn)?;
            let orphans =
                diesel::delete(logins::table.filter(diesel::dsl::not(diesel::dsl::exists(
                    refresh_tokens::table.filter(refresh_tokens::login_id.eq(logins::id)),
                ))))
                .execute(conn)?;
            let jtis = diesel::delete(
                revoked_access_tokens::table.filter(revoked_access_tokens::expires_at.le(now)),
            )
            .execute(conn)?;
            Ok((tokens + orphans + jtis) as u64)
        })
    }
}
