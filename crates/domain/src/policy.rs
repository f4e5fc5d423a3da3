//! Who may do what (contract §11). The API checks the role-level permission of each route in one
//! place; the services check the rules that depend on the ticket (an agent changes only tickets
//! that are unassigned or its own).

use crate::actor::{Actor, Role};
use crate::error::DomainError;
use crate::ticket::Ticket;

/// A role-level permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read boards, tickets, comments and history.
    Read,
    /// Create, update and delete boards and columns.
    ManageBoards,
    /// Create tickets and comment.
    Contribute,
    /// Update and move tickets (agents: only unassigned or their own).
    ChangeTickets,
    /// Claim and release tickets (agents: only for themselves).
    Claim,
    /// Delete tickets and anyone's comments.
    DeleteTickets,
    /// Statistics and bulk operations.
    Analyse,
    /// Manage users and other admin routes.
    Administer,
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission as P;
        match self {
            Self::Admin => true,
            Self::Pm => permission != P::Administer,
            Self::Agent => {
                matches!(
                    permission,
                    P::Read | P::Contribute | P::ChangeTickets | P::Claim
                )
            }
            Self::Viewer => permission == P::Read,
        }
    }
}

impl Actor {
    /// # Errors
    /// `Forbidden` when the actor's role lacks `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), DomainError> {
        if self.role().allows(permission) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!(
                "the {} role may not do this",
                self.role().as_str()
            )))
        }
    }

    /// An agent may update or move a ticket only when it is unassigned or assigned to it.
    ///
    /// # Errors
    /// `Forbidden` otherwise.
    pub fn require_may_change(&self, ticket: &Ticket) -> Result<(), DomainError> {
        self.require(Permission::ChangeTickets)?;
        if self.role().manages() || ticket.assignee.is_none() || ticket.is_assigned_to(self) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "agents may change only tickets that are unassigned or assigned to them".into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_matrix_of_contract_section_11() {
        use Permission as P;
        let expected = [
            (P::Read, [true, true, true, true]),
            (P::ManageBoards, [true, true, false, false]),
            (P::Contribute, [true, true, true, false]),
            (P::ChangeTickets, [true, true, true, false]),
            (P::Claim, [true, true, true, false]),
            (P::DeleteTickets, [true, true, false, false]),
            (P::Analyse, [true, true, false, false]),
            (P::Administer, [true, false, false, false]),
        ];
        for (permission, allowed) in expected {
            for (role, allow) in [Role::Admin, Role::Pm, Role::Agent, Role::Viewer]
                .into_iter()
                .zip(allowed)
            {
                assert_eq!(role.allows(permission), allow, "{role} {permission:?}");
            }
        }
    }
}
