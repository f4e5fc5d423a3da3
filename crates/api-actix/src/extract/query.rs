//! Query strings: mistyped or out-of-range parameters are a 422 naming `query.<name>`.

use super::deserialize_error;
use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use std::future::{Ready, ready};

/// The query string deserialised into `T`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T> QueryParams<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

pub(crate) fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        || serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    // Without tracking the path first: tracking it wraps every field's deserializer, for every
    // request (list pages at 32 connections +8–10 % without it, with the shared verification of
    // `auth::verified`). Only a query that fails is read again, to name the field.
    if let Ok(value) = T::deserialize(deserializer()) {
        return Ok(value);
    }
    serde_path_to_error::deserialize(deserializer()).map_err(|error| {
        let path = error.path().clone();
        ApiError::validation(
            "query",
            vec![deserialize_error(&path, &error.into_inner().to_string())],
        )
    })
}

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(QueryParams))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "fields are only deserialised")]
    struct Params {
        board_id: i64,
        page: Option<u32>,
    }

    #[test]
    fn errors_name_the_parameter() {
        let missing = parse::<Params>("page=1").unwrap_err();
        assert_eq!(missing.validation_errors()[0].field, "query.board_id");
        let mistyped = parse::<Params>("board_id=1&page=abc").unwrap_err();
        assert_eq!(mistyped.validation_errors()[0].field, "query.page");
        let negative = parse::<Params>("board_id=1&page=-1").unwrap_err();
        assert_eq!(negative.validation_errors()[0].field, "query.page");
        assert!(parse::<Params>("board_id=1&other=x").is_ok());
    }
}
