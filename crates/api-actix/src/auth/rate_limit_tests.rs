//! The limiters on a bare actix app: the bulk limit (no bulk route exists yet), per-user keys,
//! and the client address behind trusted proxies.

use super::*;
use crate::auth::SigningKey;
use actix_web::test::{TestRequest, call_service, init_service, read_body};
use actix_web::{App, web};
use chrono::TimeZone;
use kanban_domain::account::LoginId;
use kanban_domain::values::{Email, Username};
use kanban_domain::{Role, SystemClock, User, UserId};
use std::net::SocketAddr;

fn user(id: i64) -> User {
    User {
        id: UserId::new(id),
        username: Username::parse("username", &format!("user-{id}")).unwrap(),
        email: Email::parse("email", &format!("u{id}@example.com")).unwrap(),
        role: Role::Pm,
        is_active: true,
        is_superuser: false,
        created_at: chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        last_login: None,
    }
}

#[actix_web::test]
async fn the_bulk_limit_counts_per_user_and_answers_the_envelope() {
    let keys = Arc::new(TokenKeys::new(
        &SigningKey::new(vec![7; 32]),
        "test",
        chrono::Duration::minutes(5),
    ));
    let config = RateLimitConfig {
        bulk_per_minute: 2,
        ..RateLimitConfig::default()
    };
    let limiters = RateLimiters::new(&config, keys.clone(), Arc::new(SystemClock));
    let app = init_service(
        App::new().service(
            web::resource("/api/bulk/tickets/move")
                .wrap(limiters.bulk_limit())
                .to(HttpResponse::Ok),
        ),
    )
    .await;
    let peer: SocketAddr = "192.0.2.1:4000".parse().unwrap();
    let token = |id| {
        keys.issue(&user(id), &LoginId::new("l".into()), chrono::Utc::now())
            .unwrap()
            .token
    };
    let (ann, bob) = (token(1), token(2));
    let request = |token: &str| {
        TestRequest::post()
            .uri("/api/bulk/tickets/move")
            .peer_addr(peer)
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")))
            .to_request()
    };
    for _ in 0..2 {
        assert_eq!(call_service(&app, request(&ann)).await.status(), 200);
    }
    let refused = call_service(&app, request(&ann)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused
        .headers()
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let body: serde_json::Value = serde_json::from_slice(&read_body(refused).await).unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    assert_eq!(
        call_service(&app, request(&bob)).await.status(),
        200,
        "each user has a bucket"
    );
}

#[actix_web::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let trusted: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()];
    let from = |peer: &str, forwarded: Option<&str>| {
        let mut request = TestRequest::get().peer_addr(format!("{peer}:1").parse().unwrap());
        if let Some(value) = forwarded {
            request = request.insert_header(("X-Forwarded-For", value));
        }
        client_ip(&request.to_srv_request(), &trusted).to_string()
    };
    assert_eq!(from("192.0.2.9", Some("203.0.113.5")), "192.0.2.9");
    assert_eq!(from("10.0.0.1", Some("203.0.113.5")), "203.0.113.5");
    assert_eq!(
        from("10.0.0.1", Some("198.51.100.1, 203.0.113.5, 10.0.0.2")),
        "203.0.113.5"
    );
    assert_eq!(from("10.0.0.1", Some("10.0.0.2")), "10.0.0.2");
    assert_eq!(from("10.0.0.1", Some("junk")), "10.0.0.1");
    assert_eq!(from("10.0.0.1", None), "10.0.0.1");
}
