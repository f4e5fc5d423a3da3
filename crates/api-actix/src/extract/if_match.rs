//! `If-Match`: optimistic concurrency on tickets and boards.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};
use kanban_domain::services::Precondition;
use std::convert::Infallible;
use std::future::{Ready, ready};

/// The request's `If-Match` condition, if it sent one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IfMatch(pub Option<Precondition>);

impl IfMatch {
    pub fn as_ref(&self) -> Option<&Precondition> {
        self.0.as_ref()
    }
}

/// Parses `*` or a list of entity tags (`"3"`, `W/"3"`, `3`). Tags that are not versions can
/// never match, so a header holding only such tags fails with 412.
pub fn parse(values: &[&str]) -> Option<Precondition> {
    if values.is_empty() {
        return None;
    }
    let mut versions = Vec::new();
    for tag in values.iter().flat_map(|v| v.split(',')) {
        let tag = tag.trim();
        if tag == "*" {
            return Some(Precondition::Exists);
        }
        let bare = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
        if let Ok(version) = bare.parse::<i64>() {
            versions.push(version);
        }
    }
    Some(Precondition::Versions(versions))
}

impl FromRequest for IfMatch {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let values: Vec<&str> = req
            .headers()
            .get_all(header::IF_MATCH)
            .filter_map(|v| v.to_str().ok())
            .collect();
        ready(Ok(Self(parse(&values))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags() {
        assert_eq!(parse(&[]), None);
        assert_eq!(parse(&["*"]), Some(Precondition::Exists));
        assert_eq!(parse(&["\"3\""]), Some(Precondition::Versions(vec![3])));
        assert_eq!(
            parse(&["W/\"3\", \"4\""]),
            Some(Precondition::Versions(vec![3, 4]))
        );
        assert_eq!(parse(&["7"]), Some(Precondition::Versions(vec![7])));
        assert_eq!(parse(&["\"abc\""]), Some(Precondition::Versions(vec![])));
    }
}
