//! Path parameters: an id that is not an integer is a 422 naming `path.<name>`.

use crate::error::ApiError;
use actix_web::HttpRequest;
use actix_web::error::PathError;
use actix_web::web::PathConfig;
use kanban_domain::FieldError;

/// The `PathConfig` every route uses.
pub fn path_config() -> PathConfig {
    PathConfig::default().error_handler(|_error: PathError, req: &HttpRequest| {
        let field = req
            .match_info()
            .iter()
            .find(|(_, value)| value.parse::<i64>().is_err())
            .map_or_else(|| "id".to_owned(), |(name, _)| name.to_owned());
        ApiError::validation(
            "path",
            vec![FieldError::new(
                field,
                "type_error",
                "must be an integer id",
            )],
        )
        .into()
    })
}
