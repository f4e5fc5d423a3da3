//! Account, token, user-administration and session requests (contract §1 and §8).

use super::{Checker, in_range};
use crate::error::ApiError;
use kanban_domain::Role;
use kanban_domain::page::PageRequest;
use kanban_domain::services::{AccountUpdate, Registration, UserAdminUpdate};
use kanban_domain::values::{AssigneeName, Email, Password, Username};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `POST /api/auth/register`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Register {
    /// 3–50 letters, digits, `_` or `-`; stored in lower case.
    #[schema(value_type = Username)]
    pub username: String,
    #[schema(value_type = Email)]
    pub email: String,
    #[schema(value_type = NewPassword)]
    pub password: String,
    /// Honoured only when the caller is an authenticated admin; otherwise the first account of
    /// an empty database is `admin` and later ones get the configured default role.
    pub role: Option<Role>,
}

/// 8–128 characters with an upper-case letter, a lower-case letter and a digit.
#[derive(Debug, utoipa::ToSchema)]
#[expect(
    dead_code,
    reason = "documents the password rules in the OpenAPI document"
)]
#[schema(
    min_length = 8,
    max_length = 128,
    pattern = r"^(?:[\s\S]*[A-Z][\s\S]*[a-z][\s\S]*[0-9]|[\s\S]*[A-Z][\s\S]*[0-9][\s\S]*[a-z]|[\s\S]*[a-z][\s\S]*[A-Z][\s\S]*[0-9]|[\s\S]*[a-z][\s\S]*[0-9][\s\S]*[A-Z]|[\s\S]*[0-9][\s\S]*[A-Z][\s\S]*[a-z]|[\s\S]*[0-9][\s\S]*[a-z][\s\S]*[A-Z])[\s\S]*$"
)]
pub struct NewPassword(String);

impl Register {
    pub fn validate(self) -> Result<Registration, ApiError> {
        let mut checker = Checker::default();
        let username = checker.check(Username::parse("username", &self.username));
        let email = checker.check(Email::parse("email", &self.email));
        let password = checker.check(Password::parse("password", &self.password));
        checker.finish("body", || {
            Some(Registration {
                username: username?,
                email: email?,
                password: password?,
                role: self.role,
            })
        })
    }
}

/// `POST /api/auth/login`. Not validated beyond its types: a malformed name is just a wrong one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Refresh {
    pub refresh_token: String,
}

/// `PUT /api/auth/me`. `null` leaves a field as it is.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMe {
    #[schema(value_type = Option<Email>)]
    pub email: Option<String>,
    /// Changing the password revokes every other login of the account.
    #[schema(value_type = Option<NewPassword>)]
    pub password: Option<String>,
}

impl UpdateMe {
    pub fn validate(self) -> Result<AccountUpdate, ApiError> {
        let mut checker = Checker::default();
        // `Some(None)`: not sent; `None`: sent and invalid.
        let email = match self.email {
            Some(raw) => checker.check(Email::parse("email", &raw)).map(Some),
            None => Some(None),
        };
        let password = match self.password {
            Some(raw) => checker.check(Password::parse("password", &raw)).map(Some),
            None => Some(None),
        };
        checker.finish("body", || {
            Some(AccountUpdate {
                email: email?,
                password: password?,
            })
        })
    }
}

/// `PUT /api/users/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUser {
    pub role: Option<Role>,
    /// `false` deactivates the account and revokes its tokens.
    pub is_active: Option<bool>,
}

impl From<UpdateUser> for UserAdminUpdate {
    fn from(body: UpdateUser) -> Self {
        Self {
            role: body.role,
            is_active: body.is_active,
        }
    }
}

/// `GET /api/users?page=&page_size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListUsers {
    /// From 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295i64)]
    pub page: Option<u32>,
    /// 1–100, 50 by default.
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u32>,
}

impl ListUsers {
    pub fn validate(self) -> Result<PageRequest, ApiError> {
        let mut checker = Checker::default();
        let page = checker.check(in_range("page", self.page.unwrap_or(1), 1..=u32::MAX));
        let size = checker.check(in_range(
            "page_size",
            self.page_size.unwrap_or(PageRequest::DEFAULT_PAGE_SIZE),
            1..=PageRequest::MAX_PAGE_SIZE,
        ));
        let request = match (page, size) {
            (Some(page), Some(size)) => checker.check_all(PageRequest::new(page, size)),
            _ => None,
        };
        checker.finish("query", || request)
    }
}

/// `POST` and `PUT /api/users/session`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SessionName {
    /// The display name: 1–100 characters after trimming.
    #[schema(value_type = AssigneeName)]
    pub username: String,
}

impl SessionName {
    pub fn validate(self) -> Result<AssigneeName, ApiError> {
        let mut checker = Checker::default();
        let name = checker.check(AssigneeName::parse("username", &self.username));
        checker.finish("body", || name)
    }
}

/// The answer of login and refresh. Its `Debug` leaves the tokens out.
#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// A JWT to send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Opaque; use it once with `POST /api/auth/refresh`.
    pub refresh_token: String,
    #[schema(value_type = String, examples("bearer"))]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}
