//! Contract of [`TokenStore`](crate::ports::TokenStore) and
//! [`SessionStore`](crate::ports::SessionStore).

use super::Factory;
use super::fixtures::{at, ok, some};
use super::users::user;
use crate::account::{DisplaySession, LoginId, NewRefreshToken, Rotation, SecretDigest};
use crate::actor::Role;
use crate::ports::Repositories;
use crate::time::Timestamp;
use crate::values::AssigneeName;

fn digest(name: &str) -> SecretDigest {
    SecretDigest::new(format!("digest-{name}"))
}

fn refresh(name: &str, login: &str, expires_at: Timestamp) -> NewRefreshToken {
    NewRefreshToken {
        digest: digest(name),
        login: LoginId::new(login.into()),
        issued_at: at(0),
        expires_at,
    }
}

fn login(id: &str) -> LoginId {
    LoginId::new(id.into())
}

fn rotate(repos: &Repositories, presented: &str, next: &str, minutes: i64) -> Rotation {
    ok(
        repos.tokens.rotate(
            &digest(presented),
            &refresh(next, "ignored", at(60)),
            at(minutes),
        ),
        "rotate",
    )
}

/// A live refresh token rotates once; its successor works; presenting a used one revokes the
/// whole login, successors and access tokens included; unknown and expired tokens change nothing.
pub fn tokens_rotate_and_detect_reuse(make: Factory<'_>) {
    let repos = make();
    let ann = user(&repos, "ann", Role::Agent);
    ok(
        repos.tokens.start_login(ann, &refresh("t1", "L1", at(60))),
        "login",
    );
    assert!(!ok(repos.tokens.access_revoked("j1", &login("L1")), "live"));
    let rotated = Rotation::Rotated {
        user_id: ann,
        login: login("L1"),
    };
    assert_eq!(rotate(&repos, "t1", "t2", 1), rotated);
    assert_eq!(rotate(&repos, "t2", "t3", 2), rotated);
    assert_eq!(rotate(&repos, "nope", "t4", 2), Rotation::Invalid);
    assert!(!ok(repos.tokens.access_revoked("j1", &login("L1")), "live"));

    let reused = Rotation::Reused {
        user_id: ann,
        login: login("L1"),
    };
    assert_eq!(rotate(&repos, "t1", "t5", 3), reused);
    assert_eq!(
        rotate(&repos, "t3", "t6", 3),
        Rotation::Invalid,
        "the live successor died with its login"
    );
    assert_eq!(rotate(&repos, "t5", "t7", 3), Rotation::Invalid);
    assert!(ok(
        repos.tokens.access_revoked("j1", &login("L1")),
        "revoked"
    ));

    ok(
        repos.tokens.start_login(ann, &refresh("u1", "L2", at(10))),
        "login",
    );
    assert_eq!(
        rotate(&repos, "u1", "u2", 10),
        Rotation::Invalid,
        "expired at 10"
    );
    assert!(!ok(repos.tokens.access_revoked("j2", &login("L2")), "live"));
    assert!(
        ok(repos.tokens.access_revoked("j2", &login("unknown")), "?"),
        "an unknown login is not good"
    );
}

/// Of concurrent presentations of one refresh token, exactly one rotates it.
pub fn tokens_concurrent_rotation_has_one_winner(make: Factory<'_>) {
    let repos = make();
    let ann = user(&repos, "ann", Role::Agent);
    ok(
        repos.tokens.start_login(ann, &refresh("t", "L", at(60))),
        "login",
    );
    let outcomes: Vec<Rotation> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let repos = repos.clone();
                scope.spawn(move || rotate(&repos, "t", &format!("next-{i}"), 1))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| panic!("rotation thread panicked"))
            })
            .collect()
    });
    let won = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated { .. }))
        .count();
    assert_eq!(won, 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Rotation::Reused { .. })),
        "{outcomes:?}"
    );
}

/// Revoking a user's logins spares the one kept and other users; a revoked `jti` is refused
/// while its login stays good for other tokens.
pub fn tokens_revoke_logins_and_access_ids(make: Factory<'_>) {
    let repos = make();
    let ann = user(&repos, "ann", Role::Agent);
    let bob = user(&repos, "bob", Role::Agent);
    for (token, id, who) in [("a1", "A1", ann), ("a2", "A2", ann), ("b1", "B1", bob)] {
        ok(
            repos.tokens.start_login(who, &refresh(token, id, at(60))),
            "login",
        );
    }
    let revoked = ok(
        repos.tokens.revoke_logins_of(ann, Some(login("A1")), at(1)),
        "revoke",
    );
    assert_eq!(revoked, 1);
    let good = |jti: &str, id: &str| !ok(repos.tokens.access_revoked(jti, &login(id)), "check");
    assert!(good("j", "A1") && !good("j", "A2") && good("j", "B1"));
    assert_eq!(rotate(&repos, "a2", "a3", 2), Rotation::Invalid);
    assert!(matches!(
        rotate(&repos, "a1", "a4", 2),
        Rotation::Rotated { .. }
    ));

    ok(repos.tokens.revoke_access("j-out", at(30)), "revoke jti");
    assert!(!good("j-out", "A1") && good("j-other", "A1"));
    ok(
        repos.tokens.revoke_login(&login("B1"), at(3)),
        "revoke login",
    );
    assert!(!good("j", "B1"));
    assert_eq!(
        ok(repos.tokens.revoke_logins_of(ann, None, at(4)), "all"),
        1
    );
    assert!(!good("j", "A1"));
}

/// Pruning forgets expired refresh tokens, logins left without tokens and revoked ids past
/// their expiry, and nothing that still matters.
pub fn tokens_prune_forgets_only_the_expired(make: Factory<'_>) {
    let repos = make();
    let ann = user(&repos, "ann", Role::Agent);
    ok(
        repos
            .tokens
            .start_login(ann, &refresh("old", "OLD", at(10))),
        "login",
    );
    ok(
        repos
            .tokens
            .start_login(ann, &refresh("new", "NEW", at(60))),
        "login",
    );
    ok(repos.tokens.revoke_access("gone", at(10)), "jti");
    ok(repos.tokens.revoke_access("kept", at(60)), "jti");
    assert_eq!(ok(repos.tokens.prune(at(20)), "prune"), 3);
    let revoked = |jti: &str, id: &str| ok(repos.tokens.access_revoked(jti, &login(id)), "check");
    assert!(revoked("x", "OLD"), "a forgotten login is not good");
    assert!(!revoked("gone", "NEW") && revoked("kept", "NEW"));
    assert!(matches!(
        rotate(&repos, "new", "newer", 21),
        Rotation::Rotated { .. }
    ));
    assert_eq!(ok(repos.tokens.prune(at(21)), "again"), 0);
}

/// Sessions read back until they expire, can be renamed while live, and end once.
pub fn sessions_live_until_expiry(make: Factory<'_>) {
    let repos = make();
    let name = |n: &str| ok(AssigneeName::parse("username", n), "name");
    let session = DisplaySession {
        username: name("Ann B"),
        created_at: at(0),
        expires_at: at(60),
    };
    ok(repos.sessions.create(&digest("s1"), &session), "create");
    ok(
        repos.sessions.create(
            &digest("s2"),
            &DisplaySession {
                expires_at: at(5),
                ..session.clone()
            },
        ),
        "create",
    );
    assert_eq!(
        some(ok(repos.sessions.get(&digest("s1"), at(1)), "get"), "s1"),
        session
    );
    assert!(ok(repos.sessions.get(&digest("s2"), at(5)), "expired").is_none());
    assert!(ok(repos.sessions.get(&digest("zz"), at(1)), "unknown").is_none());
    let renamed = some(
        ok(
            repos.sessions.rename(&digest("s1"), &name("Bo"), at(2)),
            "rename",
        ),
        "live",
    );
    assert_eq!(renamed.username.as_str(), "Bo");
    assert_eq!(
        (renamed.created_at, renamed.expires_at),
        (at(0), at(60)),
        "renaming keeps the times"
    );
    assert!(
        ok(
            repos.sessions.rename(&digest("s2"), &name("X"), at(6)),
            "rename"
        )
        .is_none()
    );
    assert_eq!(ok(repos.sessions.prune(at(6)), "prune"), 1);
    assert!(ok(repos.sessions.delete(&digest("s1")), "delete"));
    assert!(!ok(repos.sessions.delete(&digest("s1")), "again"));
    assert!(ok(repos.sessions.get(&digest("s1"), at(2)), "gone").is_none());
}
