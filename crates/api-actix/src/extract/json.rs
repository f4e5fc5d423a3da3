//! JSON request bodies: `application/json` only (415), at most the configured size (413), and
//! every malformed or mistyped input a 422 naming the field.

use super::deserialize_error;
use crate::error::ApiError;
use crate::state::ApiState;
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::web::{BytesMut, Data};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use kanban_domain::FieldError;
use serde::de::DeserializeOwned;

/// A JSON body deserialised into `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

const DEFAULT_LIMIT: usize = 1024 * 1024;

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Request body exceeds the limit of {limit} bytes"),
    )
}

fn is_json(req: &HttpRequest) -> bool {
    matches!(req.mime_type(), Ok(Some(mime))
        if mime.type_() == "application" && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")))
}

/// Parses `bytes` as `T`, naming the offending field on failure.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let Some(first) = first else {
        return Err(ApiError::validation(
            "body",
            vec![FieldError::new("", "missing", "A JSON body is required")],
        ));
    };
    // serde builds a struct from an array of its fields in order too; the API takes objects.
    if *first == b'[' && object_shaped::<T>() {
        return Err(ApiError::validation(
            "body",
            vec![FieldError::new(
                "",
                "type_error",
                "invalid type: sequence, expected a JSON object",
            )],
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().clone();
        let inner = error.into_inner();
        if inner.is_data() {
            ApiError::validation("body", vec![deserialize_error(&path, &inner.to_string())])
        } else {
            ApiError::validation(
                "body",
                vec![FieldError::new(
                    "",
                    "json_invalid",
                    format!("Malformed JSON: {inner}"),
                )],
            )
        }
    })?;
    deserializer.end().map_err(|inner| {
        ApiError::validation(
            "body",
            vec![FieldError::new(
                "",
                "json_invalid",
                format!("Malformed JSON: {inner}"),
            )],
        )
    })?;
    Ok(value)
}

/// Whether `T` deserialises as a struct (from a JSON object), found by asking it to deserialise
/// from a probe that only records what it is asked for.
fn object_shaped<T: DeserializeOwned>() -> bool {
    use serde::de::{Deserializer, Visitor};

    #[derive(Debug)]
    struct Asked(bool);

    impl std::fmt::Display for Asked {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }

    impl std::error::Error for Asked {}

    impl serde::de::Error for Asked {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Self(false)
        }
    }

    struct Probe;

    impl<'de> Deserializer<'de> for Probe {
        type Error = Asked;

        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Asked> {
            Err(Asked(false))
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Asked> {
            Err(Asked(true))
        }

        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }

    matches!(T::deserialize(Probe), Err(Asked(true)))
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<Data<ApiState>>()
            .map_or(DEFAULT_LIMIT, |s| s.config.body_limit);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let early = if declared.is_some_and(|len| len > limit) {
            Some(too_large(limit))
        } else if !is_json(req) {
            Some(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json",
            ))
        } else {
            None
        };
        let mut payload = payload.take();
        Box::pin(async move {
            if let Some(error) = early {
                return Err(error);
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request(format!("Could not read the request body: {e}"))
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(JsonBody)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "fields are only deserialised")]
    struct Sample {
        title: String,
        columns: Option<Vec<String>>,
    }

    fn field(result: Result<Sample, ApiError>) -> (String, String) {
        let error = result.unwrap_err();
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let first = &error.validation_errors()[0];
        (first.field.clone(), first.kind.clone())
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            field(parse(br#"{"columns": []}"#)),
            ("body.title".into(), "missing".into())
        );
        assert_eq!(
            field(parse(br#"{"title": 5}"#)),
            ("body.title".into(), "type_error".into())
        );
        assert_eq!(
            field(parse(br#"{"title": "x", "columns": ["a", 3]}"#)),
            ("body.columns[1]".into(), "type_error".into())
        );
        assert_eq!(
            field(parse(br#"{"title": "x", "nope": 1}"#)),
            ("body.nope".into(), "extra_forbidden".into())
        );
    }

    #[test]
    fn malformed_json_is_422_on_the_body() {
        assert_eq!(
            field(parse(b"{\"title\": ")),
            ("body".into(), "json_invalid".into())
        );
        assert_eq!(
            field(parse(b"{\"title\": \"x\"} trailing")),
            ("body".into(), "json_invalid".into())
        );
        assert_eq!(field(parse(b"  ")), ("body".into(), "missing".into()));
    }

    #[test]
    fn an_array_is_not_an_object() {
        assert_eq!(
            field(parse(br#" ["x", null]"#)),
            ("body".into(), "type_error".into())
        );
        let list: Vec<String> = parse(br#"["a", "b"]"#).unwrap();
        assert_eq!(list, ["a", "b"]);
    }
}
