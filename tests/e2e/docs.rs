//! `GET /openapi.json` and the interactive explorer at `/docs/` (contract §9): public, served by
//! the binary itself, loading nothing from another host.

use kanban_e2e::{Backend, TestApp};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;

/// A client that shows redirects instead of following them, without a token.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_public_3_1_and_has_the_bearer_scheme() {
    let app = TestApp::spawn(Backend::Memory).await;
    let response = plain_client()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    assert_eq!(doc["info"]["title"], "Agent Kanban API");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert!(doc["paths"]["/api/tickets/{ticket_id}"]["put"].is_object());
    assert!(doc["components"]["schemas"]["ErrorEnvelope"].is_object());
    let trailing = plain_client()
        .get(app.url("/openapi.json/"))
        .send()
        .await
        .unwrap();
    assert_eq!(trailing.status(), StatusCode::OK);
}

/// The `src` and `href` values of a page.
fn links(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            if let Some(end) = rest.find('"') {
                found.push(rest[..end].to_owned());
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_is_served_from_the_binary() {
    let app = TestApp::spawn(Backend::Memory).await;
    let client = plain_client();

    let redirect = client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(redirect.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(redirect.headers()["location"], "/docs/");
    assert!(redirect.headers().contains_key("x-request-id"));

    let page = client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    let links = links(&html);
    assert!(
        links.iter().any(|l| l.ends_with(".js")),
        "the page loads scripts: {links:?}"
    );
    assert!(links.iter().any(|l| l.ends_with(".css")), "{links:?}");
    for link in &links {
        assert!(
            !link.starts_with("http://")
                && !link.starts_with("https://")
                && !link.starts_with("//"),
            "{link} is loaded from another host"
        );
        let path = format!("/docs/{}", link.trim_start_matches("./"));
        let asset = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK, "{path}");
        assert!(!asset.bytes().await.unwrap().is_empty(), "{path} is empty");
    }

    let initializer = client
        .get(app.url("/docs/swagger-initializer.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(initializer.status(), StatusCode::OK);
    let script = initializer.text().await.unwrap();
    assert!(script.contains("\"url\": \"/openapi.json\""), "{script}");
    assert!(script.contains("\"validatorUrl\": \"none\""), "{script}");

    let missing = client
        .get(app.url("/docs/no-such-file.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}
