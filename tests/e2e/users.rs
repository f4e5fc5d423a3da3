//! `/api/users`: listing and changing accounts (admins only), and what a change does to the
//! account's tokens.

use kanban_domain::Role;
use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    admins_list_users_page_by_page,
    admins_change_roles_and_deactivate
);

async fn admins_list_users_page_by_page(app: TestApp) {
    for name in ["ann", "bob"] {
        app.user(name, Role::Agent).await;
    }
    let page = app.get("/api/users/?page=1&page_size=2").await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    assert_eq!(page.body["total"], 3);
    assert_eq!(page.body["total_pages"], 2);
    assert_eq!(page.body["has_next"], true);
    let names: Vec<&str> = page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "ann"]);
    let last = app.get("/api/users?page=2&page_size=2").await;
    assert_eq!(last.body["items"][0]["username"], "bob");
    let bad = app.get("/api/users?page_size=0").await;
    assert_eq!(bad.invalid_fields(), ["query.page_size"]);
}

async fn admins_change_roles_and_deactivate(app: TestApp) {
    let ann = app.user("ann", Role::Viewer).await;
    let path = format!("/api/users/{}", ann.id);
    let before = app
        .send(
            app.request_as(&ann, Method::POST, "/api/boards")
                .json(&json!({"name": "B"})),
        )
        .await;
    assert_eq!(before.status, StatusCode::FORBIDDEN);
    let promoted = app.put(&path, &json!({"role": "pm"})).await;
    assert_eq!(promoted.status, StatusCode::OK, "{:?}", promoted.body);
    assert_eq!(
        (
            promoted.body["role"].clone(),
            promoted.body["is_active"].clone()
        ),
        (json!("pm"), json!(true))
    );
    let after = app
        .send(
            app.request_as(&ann, Method::POST, "/api/boards")
                .json(&json!({"name": "B"})),
        )
        .await;
    assert_eq!(
        after.status,
        StatusCode::CREATED,
        "a new role applies to the live token at once"
    );
    let bad = app.put(&path, &json!({"role": "owner"})).await;
    assert_eq!(bad.invalid_fields(), ["body.role"]);
    assert_eq!(
        app.put("/api/users/9999", &json!({"role": "pm"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let own = app
        .put(
            &format!("/api/users/{}", app.admin.id),
            &json!({"is_active": false}),
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "admins keep themselves");

    let off = app.put(&path, &json!({"is_active": false})).await;
    assert_eq!(off.body["is_active"], false);
    let refused = app
        .send(app.request_as(&ann, Method::GET, "/api/boards"))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "deactivation revokes"
    );
    let refresh = app
        .send(
            app.anonymous(Method::POST, "/api/auth/refresh")
                .json(&json!({"refresh_token": ann.refresh_token})),
        )
        .await;
    assert_eq!(refresh.status, StatusCode::UNAUTHORIZED);
    let on = app.put(&path, &json!({"is_active": true})).await;
    assert_eq!(on.body["is_active"], true);
    assert_eq!(
        app.send(app.request_as(&ann, Method::GET, "/api/boards"))
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "reactivation does not bring old logins back"
    );
}
