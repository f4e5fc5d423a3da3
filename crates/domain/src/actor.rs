//! Who is acting: every change is attributed to an actor.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The roles of contract §11, from most to least privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Role {
    Admin,
    Pm,
    Agent,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Pm => "pm",
            Self::Agent => "agent",
            Self::Viewer => "viewer",
        }
    }

    /// Admins and project managers act on any ticket and on anyone's behalf.
    pub fn manages(self) -> bool {
        matches!(self, Self::Admin | Self::Pm)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "admin" => Ok(Self::Admin),
            "pm" => Ok(Self::Pm),
            "agent" => Ok(Self::Agent),
            "viewer" => Ok(Self::Viewer),
            other => Err(format!(
                "unknown role '{other}': expected admin, pm, agent or viewer"
            )),
        }
    }
}

/// The authenticated (or, in trusted-network mode, anonymous) party making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    name: String,
    role: Role,
}

impl Actor {
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            name: name.into(),
            role,
        }
    }

    /// The actor of changes the server makes by itself (the first board, maintenance).
    pub fn system() -> Self {
        Self::new("system", Role::Admin)
    }

    /// The name recorded in history, comments and events.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn role(&self) -> Role {
        self.role
    }
}
