//! Settings that are lists (CORS origins, trusted proxies) and may come from a file as a TOML
//! array or from a variable as text: a JSON list (`["a", "b"]`) or a comma list (`a,b`).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use std::net::IpAddr;

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrText {
    List(Vec<String>),
    Text(String),
}

/// The entries of a list setting, trimmed, empty ones dropped.
fn entries<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let raw = match ListOrText::deserialize(d)? {
        ListOrText::List(list) => list,
        ListOrText::Text(text) => {
            let text = text.trim();
            if text.starts_with('[') {
                serde_json::from_str::<Vec<String>>(text)
                    .map_err(|e| D::Error::custom(format!("not a JSON list of strings: {e}")))?
            } else {
                text.split(',').map(str::to_owned).collect()
            }
        }
    };
    Ok(raw
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Checks one CORS origin: `scheme://host[:port]`, http or https, no path, never `*`.
pub fn check_origin(origin: &str) -> Result<String, String> {
    let origin = origin.trim_end_matches('/');
    if origin == "*" {
        return Err(
            "'*' is not allowed in cors.origins: list the origins (credentials are allowed, so \
             a wildcard would let any site act as the user)"
                .into(),
        );
    }
    let (scheme, rest) = origin
        .split_once("://")
        .ok_or_else(|| format!("'{origin}' is not an origin like https://kanban.example.com"))?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(format!(
            "'{origin}' is not an origin like https://kanban.example.com (scheme, host and \
             optional port, no path)"
        ));
    }
    Ok(origin.to_owned())
}

/// `cors.origins` / `CORS_ORIGINS`.
pub fn origin_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    entries(d)?
        .iter()
        .map(|o| check_origin(o).map_err(D::Error::custom))
        .collect()
}

/// `rate_limit.trusted_proxies`: IP addresses.
pub fn ip_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<IpAddr>, D::Error> {
    entries(d)?
        .iter()
        .map(|ip| {
            ip.parse()
                .map_err(|_| D::Error::custom(format!("'{ip}' is not an IP address")))
        })
        .collect()
}
