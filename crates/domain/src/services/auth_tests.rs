//! Use-case tests of authentication and accounts over the in-memory adapters, with the insecure
//! test crypto and a fixed clock.

use super::*;
use crate::account::AccessToken;
use crate::actor::{Actor, Role};
use crate::memory::crypto::{PlainTextHasher, SequentialSecrets};
use crate::time::FixedClock;
use crate::values::{AssigneeName, Email, Password, Username};
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

struct World {
    services: Services,
    hasher: Arc<PlainTextHasher>,
    clock: Arc<FixedClock>,
}

fn world() -> World {
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap(),
    ));
    let hasher = Arc::new(PlainTextHasher::default());
    let crypto = Crypto {
        passwords: hasher.clone(),
        secrets: Arc::new(SequentialSecrets::default()),
    };
    let services = Services::new(
        crate::memory::repositories(),
        crypto,
        AccountPolicy::default(),
        clock.clone(),
    );
    World {
        services,
        hasher,
        clock,
    }
}

fn registration(name: &str, role: Option<Role>) -> Registration {
    Registration {
        username: Username::parse("username", name).unwrap(),
        email: Email::parse("email", &format!("{name}@example.com")).unwrap(),
        password: Password::parse("password", "Secret123").unwrap(),
        role,
    }
}

fn access(grant: &Grant, jti: &str) -> AccessToken {
    AccessToken {
        user_id: grant.user.id,
        login: grant.login.clone(),
        jti: jti.into(),
        expires_at: Utc.with_ymd_and_hms(2026, 11, 1, 9, 30, 0).unwrap(),
    }
}

fn unauthenticated(result: Result<impl std::fmt::Debug, DomainError>) -> String {
    match result {
        Err(DomainError::Unauthenticated(message)) => message,
        other => panic!("expected Unauthenticated, got {other:?}"),
    }
}

#[test]
fn first_account_is_admin_later_ones_get_the_default_role_unless_an_admin_says() {
    let w = world();
    let auth = &w.services.auth;
    let first = auth
        .register(None, &registration("ann", Some(Role::Viewer)))
        .unwrap();
    assert_eq!((first.role, first.is_superuser), (Role::Admin, true));
    let asked = auth
        .register(None, &registration("bob", Some(Role::Admin)))
        .unwrap();
    assert_eq!(asked.role, Role::Viewer, "self-registration cannot choose");
    let pm = Actor::new("pm", Role::Pm);
    let by_pm = auth
        .register(Some(&pm), &registration("cat", Some(Role::Pm)))
        .unwrap();
    assert_eq!(by_pm.role, Role::Viewer, "only admins grant roles");
    let by_admin = auth
        .register(
            Some(&first.actor()),
            &registration("dan", Some(Role::Agent)),
        )
        .unwrap();
    assert_eq!(by_admin.role, Role::Agent);
    let again = auth.register(None, &registration("ann", None));
    assert!(matches!(again, Err(DomainError::Duplicate(_))), "{again:?}");
}

#[test]
fn unknown_user_and_wrong_password_look_the_same() {
    let w = world();
    w.services
        .auth
        .register(None, &registration("ann", None))
        .unwrap();
    let wrong = unauthenticated(w.services.auth.login("ann", "Wrong1234"));
    let unknown = unauthenticated(w.services.auth.login("nobody", "Secret123"));
    let malformed = unauthenticated(w.services.auth.login("a b", "Secret123"));
    assert_eq!(wrong, BAD_CREDENTIALS);
    assert_eq!(
        (unknown.as_str(), malformed.as_str()),
        (wrong.as_str(), wrong.as_str())
    );
    assert_eq!(
        w.hasher.dummy_verifications(),
        2,
        "unknown names cost a verification too"
    );
    let grant = w.services.auth.login("ANN", "Secret123").unwrap();
    assert_eq!(grant.user.last_login, Some(w.clock.now()));
}

#[test]
fn an_inactive_account_is_refused_only_after_its_password_matched() {
    let w = world();
    let admin = w
        .services
        .auth
        .register(None, &registration("root", None))
        .unwrap();
    let ann = w
        .services
        .auth
        .register(None, &registration("ann", None))
        .unwrap();
    let off = UserAdminUpdate {
        is_active: Some(false),
        ..UserAdminUpdate::default()
    };
    w.services
        .users
        .administer(&admin.actor(), ann.id, off)
        .unwrap();
    unauthenticated(w.services.auth.login("ann", "Wrong1234"));
    let refused = w.services.auth.login("ann", "Secret123");
    assert!(
        matches!(refused, Err(DomainError::Forbidden(_))),
        "{refused:?}"
    );
}

#[test]
fn refresh_rotates_and_reuse_revokes_the_login() {
    let w = world();
    w.services
        .auth
        .register(None, &registration("ann", None))
        .unwrap();
    let auth = &w.services.auth;
    let first = auth.login("ann", "Secret123").unwrap();
    w.clock.advance(Duration::minutes(1));
    let second = auth.refresh(first.refresh_token.expose()).unwrap();
    assert_eq!(second.login, first.login);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.refresh_expires_at, w.clock.now() + Duration::days(7));
    let third = auth.refresh(second.refresh_token.expose()).unwrap();
    assert!(auth.authenticate(&access(&third, "j1")).is_ok());

    unauthenticated(auth.refresh(first.refresh_token.expose()));
    unauthenticated(auth.refresh(third.refresh_token.expose()));
    assert_eq!(
        unauthenticated(auth.authenticate(&access(&third, "j1"))),
        REVOKED_TOKEN,
        "the login's access tokens die with it"
    );
    let other = auth.login("ann", "Secret123").unwrap();
    w.clock.advance(Duration::days(7));
    unauthenticated(auth.refresh(other.refresh_token.expose()));
}

#[test]
fn logout_revokes_the_token_and_its_login_only() {
    let w = world();
    w.services
        .auth
        .register(None, &registration("ann", None))
        .unwrap();
    let auth = &w.services.auth;
    let phone = auth.login("ann", "Secret123").unwrap();
    let laptop = auth.login("ann", "Secret123").unwrap();
    auth.logout(&access(&phone, "j-phone")).unwrap();
    unauthenticated(auth.authenticate(&access(&phone, "j-phone")));
    unauthenticated(auth.authenticate(&access(&phone, "j-other")));
    unauthenticated(auth.refresh(phone.refresh_token.expose()));
    assert!(auth.authenticate(&access(&laptop, "j-laptop")).is_ok());
    assert!(auth.refresh(laptop.refresh_token.expose()).is_ok());
}

#[test]
fn a_new_password_revokes_the_other_logins() {
    let w = world();
    w.services
        .auth
        .register(None, &registration("ann", None))
        .unwrap();
    let auth = &w.services.auth;
    let here = auth.login("ann", "Secret123").unwrap();
    let elsewhere = auth.login("ann", "Secret123").unwrap();
    let update = AccountUpdate {
        password: Some(Password::parse("password", "Better456").unwrap()),
        email: Some(Email::parse("email", "ann@new.example").unwrap()),
    };
    let user = w
        .services
        .users
        .update_own(&access(&here, "j"), &update)
        .unwrap();
    assert_eq!(user.email.as_str(), "ann@new.example");
    assert!(auth.authenticate(&access(&here, "j")).is_ok());
    unauthenticated(auth.authenticate(&access(&elsewhere, "j2")));
    unauthenticated(auth.login("ann", "Secret123"));
    assert!(auth.login("ann", "Better456").is_ok());
}

#[test]
fn admins_manage_others_but_not_their_own_standing() {
    let w = world();
    let auth = &w.services.auth;
    let admin = auth.register(None, &registration("root", None)).unwrap();
    let ann = auth.register(None, &registration("ann", None)).unwrap();
    let users = &w.services.users;
    let page = crate::page::PageRequest::default();
    assert_eq!(users.list(&admin.actor(), page).unwrap().total, 2);
    assert!(matches!(
        users.list(&Actor::new("pm", Role::Pm), page),
        Err(DomainError::Forbidden(_))
    ));
    let grant = auth.login("ann", "Secret123").unwrap();
    let promoted = users
        .administer(
            &admin.actor(),
            ann.id,
            UserAdminUpdate {
                role: Some(Role::Pm),
                ..UserAdminUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(promoted.role, Role::Pm);
    assert_eq!(
        auth.authenticate(&access(&grant, "j")).unwrap().role,
        Role::Pm,
        "a role change applies to live tokens at once"
    );
    users
        .administer(
            &admin.actor(),
            ann.id,
            UserAdminUpdate {
                is_active: Some(false),
                ..UserAdminUpdate::default()
            },
        )
        .unwrap();
    unauthenticated(auth.authenticate(&access(&grant, "j")));
    unauthenticated(auth.refresh(grant.refresh_token.expose()));
    let own = users.administer(
        &admin.actor(),
        admin.id,
        UserAdminUpdate {
            role: Some(Role::Viewer),
            ..UserAdminUpdate::default()
        },
    );
    assert!(matches!(own, Err(DomainError::Forbidden(_))), "{own:?}");
}

#[test]
fn display_sessions_expire() {
    let w = world();
    let sessions = &w.services.sessions;
    let name = AssigneeName::parse("username", "Visitor 1").unwrap();
    let (id, session) = sessions.start(&name).unwrap();
    assert_eq!(sessions.get(id.expose()).unwrap(), session);
    let renamed = AssigneeName::parse("username", "Ann").unwrap();
    assert_eq!(
        sessions.rename(id.expose(), &renamed).unwrap().username,
        renamed
    );
    w.clock.advance(Duration::days(7));
    assert!(matches!(
        sessions.get(id.expose()),
        Err(DomainError::NotFound("Session"))
    ));
    let (other, _) = sessions.start(&name).unwrap();
    sessions.end(other.expose()).unwrap();
    assert!(sessions.end(other.expose()).is_err());
}
