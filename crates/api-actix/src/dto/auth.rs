//! Account, token, user-administration and session requests (contract §1 and §8).

use super::{Checker, in_range};
use crate::error::ApiError;
use kanban_domain::Role;
use kanban_domain::page::PageRequest;
use kanban_domain::services::{AccountUpdate, Registration, UserAdminUpdate};
use kanban_domain::values::{AssigneeName, Email, Password, Username};
use serde::{Deserialize, Serialize};

/// `POST /api/auth/register`.
#[derive(Debug, Deserialize)]
pub struct Register {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: Option<Role>,
}

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
#[derive(Debug, Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// `POST /api/auth/refresh`.
#[derive(Debug, Deserialize)]
pub struct Refresh {
    pub refresh_token: String,
}

/// `PUT /api/auth/me`. `null` leaves a field as it is.
#[derive(Debug, Deserialize)]
pub struct UpdateMe {
    pub email: Option<String>,
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
#[derive(Debug, Deserialize)]
pub struct UpdateUser {
    pub role: Option<Role>,
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
#[derive(Debug, Deserialize)]
pub struct ListUsers {
    pub page: Option<u32>,
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
#[derive(Debug, Deserialize)]
pub struct SessionName {
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
#[derive(Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
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
