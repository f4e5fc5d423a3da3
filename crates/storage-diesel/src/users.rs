//! [`UserRepository`]: accounts, with unique usernames and e-mails and the first-admin rule
//! decided inside the inserting transaction.

use crate::error::{CorruptRow, Failure, Work};
use crate::pool::SqliteStore;
use crate::rows::{from_db, to_db};
use crate::schema::users;
use crate::stored_time::StoredTime;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use kanban_domain::account::{NewUser, PasswordHash, UserChanges};
use kanban_domain::page::PageRequest;
use kanban_domain::ports::UserRepository;
use kanban_domain::values::{Email, Username};
use kanban_domain::{Role, StoreError, User, UserId};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::sqlite::Sqlite))]
struct UserRow {
    id: i64,
    username: String,
    email: String,
    password_hash: String,
    role: String,
    is_active: bool,
    is_superuser: bool,
    #[diesel(deserialize_as = StoredTime)]
    created_at: NaiveDateTime,
    last_login: Option<NaiveDateTime>,
}

impl UserRow {
    fn into_user(self) -> Result<(User, PasswordHash), CorruptRow> {
        let role: Role = self
            .role
            .parse()
            .map_err(|_| CorruptRow(format!("user {} has role '{}'", self.id, self.role)))?;
        let user = User {
            id: UserId::new(self.id),
            username: Username::from_stored(self.username),
            email: Email::from_stored(self.email),
            role,
            is_active: self.is_active,
            is_superuser: self.is_superuser,
            created_at: from_db(self.created_at),
            last_login: self.last_login.map(from_db),
        };
        Ok((user, PasswordHash::new(self.password_hash)))
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    username: &'a str,
    email: &'a str,
    password_hash: &'a str,
    role: &'a str,
    is_active: bool,
    is_superuser: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// The columns an update sets; `None` leaves a column as it is.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users)]
struct UserChangeset<'a> {
    email: Option<&'a str>,
    password_hash: Option<&'a str>,
    role: Option<&'a str>,
    is_active: Option<bool>,
    last_login: Option<NaiveDateTime>,
    updated_at: Option<NaiveDateTime>,
}

/// A unique constraint that fired after all (a concurrent writer between check and insert).
fn unique_violation(error: DieselError) -> Failure {
    match &error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            let field = if info.message().contains("email") {
                "email"
            } else {
                "username"
            };
            Failure(StoreError::Duplicate(field.into()))
        }
        _ => error.into(),
    }
}

fn taken(
    conn: &mut SqliteConnection,
    email: Option<&str>,
    username: Option<&str>,
    except: Option<i64>,
) -> Work<Option<&'static str>> {
    let others = || {
        users::table
            .filter(users::id.ne(except.unwrap_or(0)))
            .into_boxed()
    };
    if let Some(name) = username {
        let found: Option<i64> = others()
            .filter(users::username.eq(name))
            .select(users::id)
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(Some("username"));
        }
    }
    if let Some(address) = email {
        let found: Option<i64> = others()
            .filter(users::email.eq(address))
            .select(users::id)
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(Some("email"));
        }
    }
    Ok(None)
}

fn load(conn: &mut SqliteConnection, id: i64) -> Work<Option<(User, PasswordHash)>> {
    let row = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(UserRow::into_user).transpose()?)
}

impl UserRepository for SqliteStore {
    fn get(&self, id: UserId) -> Result<Option<User>, StoreError> {
        self.read(|conn| Ok(load(conn, id.get())?.map(|(user, _)| user)))
    }

    fn find_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<(User, PasswordHash)>, StoreError> {
        self.read(|conn| {
            let row = users::table
                .filter(users::username.eq(username.as_str()))
                .select(UserRow::as_select())
                .first(conn)
                .optional()?;
            Ok(row.map(UserRow::into_user).transpose()?)
        })
    }

    fn list(&self, page: PageRequest) -> Result<(Vec<User>, u64), StoreError> {
        self.read(|conn| {
            let total: i64 = users::table.count().get_result(conn)?;
            let rows = users::table
                .order(users::id.asc())
                .offset(i64::try_from(page.offset()).unwrap_or(i64::MAX))
                .limit(i64::try_from(page.limit()).unwrap_or(i64::MAX))
                .select(UserRow::as_select())
                .load(conn)?;
            let users = rows
                .into_iter()
                .map(|row| row.into_user().map(|(user, _)| user))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((users, u64::try_from(total).unwrap_or(0)))
        })
    }

    fn create(&self, new: &NewUser) -> Result<User, StoreError> {
        let new = new.clone();
        self.write(move |conn| {
            let clash = taken(
                conn,
                Some(new.email.as_str()),
                Some(new.username.as_str()),
                None,
            )?;
            if let Some(field) = clash {
                return Err(StoreError::Duplicate(field.into()).into());
            }
            let first = new.first_becomes_admin
                && users::table
                    .select(users::id)
                    .first::<i64>(conn)
                    .optional()?
                    .is_none();
            let role = if first { Role::Admin } else { new.role };
            let id: i64 = diesel::insert_into(users::table)
                .values(NewUserRow {
                    username: new.username.as_str(),
                    email: new.email.as_str(),
                    password_hash: new.password_hash.as_str(),
                    role: role.as_str(),
                    is_active: true,
                    is_superuser: first,
                    created_at: to_db(new.at).into(),
                    updated_at: to_db(new.at).into(),
                })
                .returning(users::id)
                .get_result(conn)
                .map_err(unique_violation)?;
            let (user, _) = load(conn, id)?.ok_or(StoreError::NotFound)?;
            Ok(user)
        })
    }

    fn update(&self, id: UserId, changes: &UserChanges) -> Result<User, StoreError> {
        let changes = changes.clone();
        self.write(move |conn| {
            if load(conn, id.get())?.is_none() {
                return Err(StoreError::NotFound.into());
            }
            let email = changes.email.as_ref().map(Email::as_str);
            if let Some(field) = taken(conn, email, None, Some(id.get()))? {
                return Err(StoreError::Duplicate(field.into()).into());
            }
            let changeset = UserChangeset {
                email,
                password_hash: changes.password_hash.as_ref().map(PasswordHash::as_str),
                role: changes.role.map(Role::as_str),
                is_active: changes.is_active,
                last_login: changes.last_login.map(|at| to_db(at).into()),
                updated_at: Some(chrono::Utc::now().naive_utc()),
            };
            diesel::update(users::table.find(id.get()))
                .set(changeset)
                .execute(conn)
                .map_err(unique_violation)?;
            let (user, _) = load(conn, id.get())?.ok_or(StoreError::NotFound)?;
            Ok(user)
        })
    }
}
