//! Contract of [`UserRepository`](crate::ports::UserRepository).

use super::Factory;
use super::fixtures::{at, ok, some};
use crate::account::{NewUser, PasswordHash, UserChanges};
use crate::actor::Role;
use crate::error::StoreError;
use crate::ids::UserId;
use crate::page::PageRequest;
use crate::ports::Repositories;
use crate::values::{Email, Username};

pub(super) fn username(name: &str) -> Username {
    ok(Username::parse("username", name), "username")
}

pub(super) fn new_user(name: &str, role: Role, first_becomes_admin: bool) -> NewUser {
    NewUser {
        username: username(name),
        email: ok(
            Email::parse("email", &format!("{name}@example.com")),
            "email",
        ),
        password_hash: PasswordHash::new(format!("hash-of-{name}")),
        role,
        first_becomes_admin,
        at: at(0),
    }
}

/// Creates an account named `name` with `role`.
pub(super) fn user(repos: &Repositories, name: &str, role: Role) -> UserId {
    ok(
        repos.users.create(&new_user(name, role, false)),
        "create user",
    )
    .id
}

/// The first account asking for it becomes an admin superuser; later ones get the role they
/// ask for; usernames and e-mails are unique; accounts read back field for field.
pub fn users_create_first_admin_and_unique_names(make: Factory<'_>) {
    let repos = make();
    let first = ok(
        repos.users.create(&new_user("ann", Role::Viewer, true)),
        "first",
    );
    assert_eq!((first.role, first.is_superuser), (Role::Admin, true));
    assert!(first.is_active);
    assert_eq!(first.last_login, None);
    assert_eq!(
        (
            first.username.as_str(),
            first.email.as_str(),
            first.created_at
        ),
        ("ann", "ann@example.com", at(0))
    );
    let second = ok(
        repos.users.create(&new_user("bob", Role::Viewer, true)),
        "second",
    );
    assert_eq!((second.role, second.is_superuser), (Role::Viewer, false));
    assert!(second.id.get() > first.id.get());

    let mut same_name = new_user("ann", Role::Pm, false);
    same_name.email = ok(Email::parse("email", "other@example.com"), "email");
    let refused = repos.users.create(&same_name);
    assert!(
        matches!(&refused, Err(StoreError::Duplicate(f)) if f == "username"),
        "{refused:?}"
    );
    let mut same_email = new_user("carl", Role::Pm, false);
    same_email.email = first.email.clone();
    let refused = repos.users.create(&same_email);
    assert!(
        matches!(&refused, Err(StoreError::Duplicate(f)) if f == "email"),
        "{refused:?}"
    );

    assert_eq!(some(ok(repos.users.get(first.id), "get"), "ann"), first);
    assert!(ok(repos.users.get(UserId::new(4242)), "get missing").is_none());
    let (found, hash) = some(
        ok(repos.users.find_by_username(&username("bob")), "find"),
        "bob",
    );
    assert_eq!((found, hash.as_str()), (second, "hash-of-bob"));
    assert!(
        ok(repos.users.find_by_username(&username("nobody")), "find").is_none(),
        "unknown name"
    );

    let fresh = make();
    let cli = ok(
        fresh.users.create(&new_user("root", Role::Pm, false)),
        "without the flag",
    );
    assert_eq!((cli.role, cli.is_superuser), (Role::Pm, false));
}

/// Listing pages through accounts by id with the total.
pub fn users_list_pages_by_id(make: Factory<'_>) {
    let repos = make();
    let ids: Vec<UserId> = ["ann", "bob", "cat", "dan", "eve"]
        .iter()
        .map(|n| user(&repos, n, Role::Agent))
        .collect();
    let page = |n, size| {
        let request = ok(PageRequest::new(n, size), "page");
        let (users, total) = ok(repos.users.list(request), "list");
        (users.iter().map(|u| u.id).collect::<Vec<_>>(), total)
    };
    assert_eq!(page(1, 2), (ids[..2].to_vec(), 5));
    assert_eq!(page(3, 2), (ids[4..].to_vec(), 5));
    assert_eq!(page(4, 2), (Vec::new(), 5));
    assert_eq!(page(1, 100).0, ids);
}

/// Updates change only the given fields; a taken e-mail or a missing account writes nothing.
pub fn users_update_changes_only_given_fields(make: Factory<'_>) {
    let repos = make();
    let ann = user(&repos, "ann", Role::Agent);
    let bob = user(&repos, "bob", Role::Agent);
    let before = some(ok(repos.users.get(ann), "get"), "ann");

    let updated = ok(
        repos.users.update(
            ann,
            &UserChanges {
                email: Some(ok(Email::parse("email", "new@example.com"), "email")),
                role: Some(Role::Pm),
                last_login: Some(at(5)),
                ..UserChanges::default()
            },
        ),
        "update",
    );
    assert_eq!(updated.email.as_str(), "new@example.com");
    assert_eq!((updated.role, updated.last_login), (Role::Pm, Some(at(5))));
    assert_eq!(
        (updated.username, updated.is_active, updated.created_at),
        (before.username, true, before.created_at)
    );
    assert_eq!(some(ok(repos.users.get(ann), "get"), "ann").role, Role::Pm);

    let hash = PasswordHash::new("new-hash".into());
    let deactivated = ok(
        repos.users.update(
            ann,
            &UserChanges {
                is_active: Some(false),
                password_hash: Some(hash.clone()),
                ..UserChanges::default()
            },
        ),
        "deactivate",
    );
    assert!(!deactivated.is_active);
    assert_eq!(deactivated.email.as_str(), "new@example.com");
    let (_, stored) = some(
        ok(repos.users.find_by_username(&username("ann")), "find"),
        "ann",
    );
    assert_eq!(stored, hash);

    let taken = UserChanges {
        email: Some(ok(Email::parse("email", "new@example.com"), "email")),
        role: Some(Role::Admin),
        ..UserChanges::default()
    };
    let refused = repos.users.update(bob, &taken);
    assert!(
        matches!(&refused, Err(StoreError::Duplicate(f)) if f == "email"),
        "{refused:?}"
    );
    assert_eq!(
        some(ok(repos.users.get(bob), "get"), "bob").role,
        Role::Agent,
        "nothing written"
    );
    let own = ok(repos.users.update(ann, &taken), "own address again");
    assert_eq!(own.role, Role::Admin);
    let missing = repos
        .users
        .update(UserId::new(4242), &UserChanges::default());
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}
