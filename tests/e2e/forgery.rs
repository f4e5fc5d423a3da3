//! Forged and misused access tokens: every one is 401 with `WWW-Authenticate: Bearer`, while a
//! token built the same way with the right key, algorithm, issuer, type and expiry is accepted
//! (so each refusal is for the reason under test).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use kanban_e2e::{TestApp, on_both_backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(forged_and_misused_tokens_are_refused);

/// The claims of the admin's real token.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, algorithm: Algorithm, key: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(key),
    )
    .unwrap()
}

fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    format!("{header}.{payload}.")
}

async fn forged_and_misused_tokens_are_refused(app: TestApp) {
    let key = app.state.config.auth.signing_key.expose().to_vec();
    let real = claims_of(&app.admin.access_token);
    let now = chrono::Utc::now().timestamp();
    let with = |changes: Value| {
        let mut claims = real.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(k);
            } else {
                claims[k] = v.clone();
            }
        }
        claims
    };

    let control = sign(&with(json!({"jti": "control"})), Algorithm::HS256, &key);
    let accepted = app
        .send(
            app.anonymous(Method::GET, "/api/auth/me")
                .bearer_auth(&control),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);

    let viewer = app.user("vic", kanban_domain::Role::Viewer).await;
    let (header, payload, signature) = {
        let mut parts = viewer.access_token.split('.');
        (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        )
    };
    let mut escalated = claims_of(&viewer.access_token);
    escalated["role"] = json!("admin");
    escalated["sub"] = real["sub"].clone();
    let tampered = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&escalated).unwrap())
    );
    assert_ne!(payload, tampered.split('.').nth(1).unwrap());

    let cases = [
        ("alg none", unsigned(&real)),
        (
            "wrong key",
            sign(
                &real,
                Algorithm::HS256,
                b"another key entirely, 32 bytes long",
            ),
        ),
        ("another algorithm", sign(&real, Algorithm::HS512, &key)),
        ("tampered payload", tampered),
        (
            "expired",
            sign(
                &with(json!({"exp": now - 60, "iat": now - 3600})),
                Algorithm::HS256,
                &key,
            ),
        ),
        (
            "no exp",
            sign(&with(json!({"exp": null})), Algorithm::HS256, &key),
        ),
        (
            "another issuer",
            sign(
                &with(json!({"iss": "someone-else"})),
                Algorithm::HS256,
                &key,
            ),
        ),
        (
            "refresh type",
            sign(&with(json!({"type": "refresh"})), Algorithm::HS256, &key),
        ),
        (
            "no type",
            sign(&with(json!({"type": null})), Algorithm::HS256, &key),
        ),
        (
            "refresh token as access token",
            app.admin.refresh_token.clone(),
        ),
        (
            "no login",
            sign(&with(json!({"sid": "made-up"})), Algorithm::HS256, &key),
        ),
        (
            "unknown user",
            sign(&with(json!({"sub": "9999"})), Algorithm::HS256, &key),
        ),
        ("garbage", "a.b.c".to_owned()),
    ];
    for (case, token) in cases {
        for path in ["/api/auth/me", "/api/boards"] {
            let reply = app
                .send(app.anonymous(Method::GET, path).bearer_auth(&token))
                .await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case} on {path}");
            assert_eq!(reply.header("www-authenticate"), "Bearer", "{case}");
            assert_eq!(reply.code(), "UNAUTHORIZED", "{case}");
        }
        let write = app
            .send(
                app.anonymous(Method::POST, "/api/boards")
                    .bearer_auth(&token)
                    .json(&json!({"name": "forged"})),
            )
            .await;
        assert_eq!(write.status, StatusCode::UNAUTHORIZED, "{case} writing");
    }
    for header in [
        "Basic YWRtaW46U2VjcmV0MTIz",
        "Bearer",
        "Bearer   ",
        "Token abc",
    ] {
        let reply = app
            .send(
                app.anonymous(Method::GET, "/api/boards")
                    .header("Authorization", header),
            )
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{header}");
    }
    // Bytes past ASCII (obs-text, which HTTP lets through) are no bearer token either.
    let reply = app
        .send(app.anonymous(Method::GET, "/api/boards").header(
            "Authorization",
            reqwest::header::HeaderValue::from_bytes(b"Bearer t\xc3\xb6ken").unwrap(),
        ))
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "non-ASCII");
    let boards = app.get("/api/boards").await.body;
    assert!(
        boards
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["name"] != "forged"),
        "no forged write went through"
    );
}
