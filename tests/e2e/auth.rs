//! `/api/auth`: registration, login hygiene, refresh rotation with reuse detection, logout, one's
//! own account, and revocations that survive a restart.

use kanban_domain::Role;
use kanban_e2e::{Backend, PASSWORD, TestApp, on_both_backends, test_config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    registration_gives_the_default_role_unless_an_admin_asks,
    registration_validates_and_refuses_duplicates,
    login_does_not_tell_unknown_users_from_wrong_passwords,
    refresh_rotates_and_reuse_revokes_the_login,
    logout_revokes_the_token_and_its_login,
    own_account_and_password_change,
);

async fn register(app: &TestApp, body: &Value) -> kanban_e2e::Reply {
    app.send(app.anonymous(Method::POST, "/api/auth/register").json(body))
        .await
}

async fn login(app: &TestApp, username: &str, password: &str) -> kanban_e2e::Reply {
    app.send(
        app.anonymous(Method::POST, "/api/auth/login")
            .json(&json!({"username": username, "password": password})),
    )
    .await
}

async fn refresh(app: &TestApp, token: &str) -> kanban_e2e::Reply {
    app.send(
        app.anonymous(Method::POST, "/api/auth/refresh")
            .json(&json!({"refresh_token": token})),
    )
    .await
}

fn bearer(reply: &kanban_e2e::Reply) -> String {
    reply.body["access_token"].as_str().unwrap().to_owned()
}

async fn me_with(app: &TestApp, token: &str) -> kanban_e2e::Reply {
    app.send(
        app.anonymous(Method::GET, "/api/auth/me")
            .bearer_auth(token),
    )
    .await
}

async fn registration_gives_the_default_role_unless_an_admin_asks(app: TestApp) {
    let me = app.get("/api/auth/me").await;
    assert_eq!(
        (me.body["role"].clone(), me.body["is_superuser"].clone()),
        (json!("admin"), json!(true)),
        "the first account is an admin superuser"
    );
    let asked = register(
        &app,
        &json!({"username": "Mallory", "email": "M@Example.com", "password": PASSWORD, "role": "admin"}),
    )
    .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{:?}", asked.body);
    assert_eq!(
        asked.body["role"], "viewer",
        "a caller cannot choose a role"
    );
    assert_eq!(asked.body["username"], "mallory");
    assert_eq!(asked.body["email"], "m@example.com");
    assert_eq!(asked.body["is_active"], true);
    assert_eq!(asked.body["last_login"], Value::Null);
    assert!(asked.body.get("password_hash").is_none());
    assert!(asked.body.get("password").is_none());
    let mut keys: Vec<&str> = asked
        .body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "email",
            "id",
            "is_active",
            "is_superuser",
            "last_login",
            "role",
            "username"
        ]
    );
    assert_eq!(
        asked.header("location"),
        format!("/api/users/{}", asked.body["id"])
    );
    let pm = app.user("pm-1", Role::Pm).await;
    let by_pm = app
        .send(
            app.request_as(&pm, Method::POST, "/api/auth/register")
                .json(&json!({"username": "pm-2", "email": "pm-2@example.com", "password": PASSWORD, "role": "pm"})),
        )
        .await;
    assert_eq!(by_pm.body["role"], "viewer", "only an admin grants roles");
    let by_admin = app
        .post(
            "/api/auth/register",
            &json!({"username": "ag-2", "email": "ag-2@example.com", "password": PASSWORD, "role": "agent"}),
        )
        .await;
    assert_eq!(by_admin.status, StatusCode::CREATED);
    assert_eq!(by_admin.body["role"], "agent");
    let bad_token = app
        .send(
            app.anonymous(Method::POST, "/api/auth/register")
                .bearer_auth("not-a-token")
                .json(
                    &json!({"username": "x12", "email": "x12@example.com", "password": PASSWORD}),
                ),
        )
        .await;
    assert_eq!(
        bad_token.status,
        StatusCode::UNAUTHORIZED,
        "a token is always judged"
    );
}

async fn registration_validates_and_refuses_duplicates(app: TestApp) {
    let invalid = register(
        &app,
        &json!({"username": "a b", "email": "nope", "password": "short"}),
    )
    .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        invalid.invalid_fields(),
        ["body.username", "body.email", "body.password"]
    );
    let weak = register(
        &app,
        &json!({"username": "ann", "email": "ann@example.com", "password": "alllowercase1"}),
    )
    .await;
    assert_eq!(weak.invalid_fields(), ["body.password"]);
    let role = register(
        &app,
        &json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD, "role": "root"}),
    )
    .await;
    assert_eq!(role.invalid_fields(), ["body.role"]);
    let first = register(
        &app,
        &json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD}),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    for (username, email) in [("ANN", "other@example.com"), ("other", "Ann@Example.com")] {
        let again = register(
            &app,
            &json!({"username": username, "email": email, "password": PASSWORD}),
        )
        .await;
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::CONFLICT, "CONFLICT"),
            "{username} {email}"
        );
    }
}

async fn login_does_not_tell_unknown_users_from_wrong_passwords(app: TestApp) {
    let ok = login(&app, "ADMIN", PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    assert_eq!(ok.body["token_type"], "bearer");
    assert_eq!(ok.body["expires_in"], 1800);
    assert!(ok.body["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(ok.header("cache-control"), "no-store");
    let wrong = login(&app, "admin", "Wrong1234").await;
    let unknown = login(&app, "nobody", PASSWORD).await;
    let malformed = login(&app, "x", PASSWORD).await;
    for reply in [&wrong, &unknown, &malformed] {
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.header("www-authenticate"), "Bearer");
        assert_eq!(
            reply.body["error"]["message"],
            wrong.body["error"]["message"]
        );
        assert_eq!(reply.code(), "UNAUTHORIZED");
    }
    let ann = app.user("ann", Role::Agent).await;
    let off = app
        .put(
            &format!("/api/users/{}", ann.id),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(
        login(&app, "ann", "Wrong1234").await.status,
        StatusCode::UNAUTHORIZED,
        "a wrong password says nothing about the account"
    );
    let inactive = login(&app, "ann", PASSWORD).await;
    assert_eq!(
        (inactive.status, inactive.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    let me = app.get("/api/auth/me").await;
    assert!(me.body["last_login"].is_string());
}

async fn refresh_rotates_and_reuse_revokes_the_login(app: TestApp) {
    let first = login(&app, "admin", PASSWORD).await;
    let original = first.body["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(&app, &original).await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    let rotated = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(rotated, original);
    assert_eq!(me_with(&app, &bearer(&second)).await.status, StatusCode::OK);
    let third = refresh(&app, &rotated).await;
    assert_eq!(third.status, StatusCode::OK);
    let newest = third.body["refresh_token"].as_str().unwrap().to_owned();

    let reused = refresh(&app, &original).await;
    assert_eq!(
        (reused.status, reused.header("www-authenticate")),
        (StatusCode::UNAUTHORIZED, "Bearer")
    );
    assert_eq!(
        refresh(&app, &newest).await.status,
        StatusCode::UNAUTHORIZED,
        "reuse revoked the whole family"
    );
    for token in [bearer(&first), bearer(&second), bearer(&third)] {
        assert_eq!(
            me_with(&app, &token).await.status,
            StatusCode::UNAUTHORIZED,
            "and the login's access tokens"
        );
    }
    assert_eq!(
        app.get("/api/auth/me").await.status,
        StatusCode::OK,
        "other logins are untouched"
    );
    assert_eq!(
        refresh(&app, "made-up").await.status,
        StatusCode::UNAUTHORIZED
    );
    let missing = app
        .send(
            app.anonymous(Method::POST, "/api/auth/refresh")
                .json(&json!({})),
        )
        .await;
    assert_eq!(missing.invalid_fields(), ["body.refresh_token"]);
}

async fn logout_revokes_the_token_and_its_login(app: TestApp) {
    let phone = login(&app, "admin", PASSWORD).await;
    let token = bearer(&phone);
    let out = app
        .send(
            app.anonymous(Method::POST, "/api/auth/logout")
                .bearer_auth(&token),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{:?}", out.body);
    assert!(out.body["message"].is_string());
    assert_eq!(me_with(&app, &token).await.status, StatusCode::UNAUTHORIZED);
    let again = refresh(&app, phone.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/auth/me").await.status, StatusCode::OK);
    let anonymous = app
        .send(app.anonymous(Method::POST, "/api/auth/logout"))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn own_account_and_password_change(app: TestApp) {
    let ann = app.user("ann", Role::Agent).await;
    let elsewhere = app.sign_in("ann").await;
    let me = app
        .send(app.request_as(&ann, Method::GET, "/api/auth/me"))
        .await;
    assert_eq!(
        (me.body["username"].clone(), me.body["role"].clone()),
        (json!("ann"), json!("agent"))
    );
    let invalid = app
        .send(
            app.request_as(&ann, Method::PUT, "/api/auth/me")
                .json(&json!({"email": "nope", "password": "weak"})),
        )
        .await;
    assert_eq!(invalid.invalid_fields(), ["body.email", "body.password"]);
    let taken = app
        .send(
            app.request_as(&ann, Method::PUT, "/api/auth/me")
                .json(&json!({"email": "admin@example.com"})),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    let changed = app
        .send(
            app.request_as(&ann, Method::PUT, "/api/auth/me")
                .json(&json!({"email": "Ann@New.example", "password": "Better456"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["email"], "ann@new.example");
    assert_eq!(
        app.send(app.request_as(&ann, Method::GET, "/api/auth/me"))
            .await
            .status,
        StatusCode::OK,
        "the login that changed the password stays"
    );
    let other = app
        .send(app.request_as(&elsewhere, Method::GET, "/api/auth/me"))
        .await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED, "other logins end");
    assert_eq!(
        refresh(&app, &elsewhere.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ann", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(login(&app, "ann", "Better456").await.status, StatusCode::OK);
}

/// Logout, then a restart on the same database: the old tokens stay refused, while a login that
/// did not log out keeps working (the signing key is the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocations_survive_a_restart() {
    let app = TestApp::spawn_with(Backend::Sqlite, test_config()).await;
    let gone = login(&app, "admin", PASSWORD).await;
    let kept = login(&app, "admin", PASSWORD).await;
    let out = app
        .send(
            app.anonymous(Method::POST, "/api/auth/logout")
                .bearer_auth(bearer(&gone)),
        )
        .await;
    assert_eq!(out.status, StatusCode::OK);
    let app = app.restart().await;
    assert_eq!(
        me_with(&app, &bearer(&gone)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, gone.body["refresh_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(me_with(&app, &bearer(&kept)).await.status, StatusCode::OK);
    assert_eq!(
        refresh(&app, kept.body["refresh_token"].as_str().unwrap())
            .await
            .status,
        StatusCode::OK
    );
}
