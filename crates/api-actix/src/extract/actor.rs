//! Who is acting. This is the one seam authentication replaces: until it lands, a request acts
//! under the name in its `X-Actor` header (or the configured default) with the configured role.

use crate::error::ApiError;
use crate::state::ApiState;
use actix_web::dev::Payload;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use kanban_domain::Actor;
use kanban_domain::values::AssigneeName;
use std::future::{Ready, ready};

/// The header naming the actor until authentication lands.
pub const ACTOR_HEADER: &str = "X-Actor";

/// The actor a request is attributed to.
#[derive(Debug, Clone)]
pub struct CurrentActor(pub Actor);

impl CurrentActor {
    pub fn into_inner(self) -> Actor {
        self.0
    }
}

fn actor_of(req: &HttpRequest) -> Result<CurrentActor, ApiError> {
    let config = req
        .app_data::<Data<ApiState>>()
        .map(|state| state.config.actor.clone())
        .unwrap_or_default();
    let name = match req.headers().get(ACTOR_HEADER) {
        None => config.default_name,
        Some(value) => {
            let raw = value
                .to_str()
                .map_err(|_| ApiError::bad_request("X-Actor must be visible ASCII text"))?;
            AssigneeName::parse(ACTOR_HEADER, raw)
                .map_err(|e| {
                    ApiError::bad_request(format!("Invalid X-Actor header: {}", e.message))
                })?
                .into_inner()
        }
    };
    Ok(CurrentActor(Actor::new(name, config.role)))
}

impl FromRequest for CurrentActor {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(actor_of(req))
    }
}
