//! Rate limits (actix-governor): a default limit per authenticated user (per IP when anonymous)
//! on every route, and stricter per-IP limits on registration and login, plus a per-user limit
//! for the bulk routes. Each limit is a token bucket of `burst` requests refilled evenly over its
//! period, so the request after `burst` quick ones is refused with `429 RATE_LIMITED` and a
//! `Retry-After` in whole seconds.
//!
//! The limiters' state is built once (in [`RateLimiters::new`], outside `HttpServer::new`) and
//! shared by every worker. The client's address is the TCP peer, or, when the peer is a
//! configured trusted proxy, the last address in `X-Forwarded-For` that is not a trusted proxy.

use crate::auth::tokens::TokenKeys;
use crate::error::ApiError;
use actix_governor::governor::NotUntil;
use actix_governor::governor::clock::{Clock as _, DefaultClock, QuantaInstant};
use actix_governor::governor::middleware::NoOpMiddleware;
use actix_governor::{Governor, GovernorConfig, GovernorConfigBuilder, KeyExtractor};
use actix_web::dev::ServiceRequest;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Condition;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use kanban_domain::Clock;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

/// Settings of the rate limits (`rate_limit.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// `false` turns every limit off (benchmarks).
    pub enabled: bool,
    /// Default limit per user (or IP): requests per minute, sustained.
    pub requests_per_minute: u32,
    /// Default limit: how many requests may come at once.
    pub burst: u32,
    /// Registrations per hour per IP.
    pub register_per_hour: u32,
    /// Login attempts per minute per IP.
    pub login_per_minute: u32,
    /// Bulk requests per minute per user.
    pub bulk_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            requests_per_minute: 100,
            burst: 200,
            register_per_hour: 5,
            login_per_minute: 10,
            bulk_per_minute: 10,
            trusted_proxies: Vec::new(),
        }
    }
}

/// The address a request comes from: the peer, or for a trusted proxy the nearest untrusted
/// address of `X-Forwarded-For`.
pub fn client_ip(req: &ServiceRequest, trusted: &[IpAddr]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .or_else(|| forwarded.first())
        .copied()
        .unwrap_or(peer)
}

/// The answer to a refused request: the error envelope with `Retry-After`.
fn too_many_requests(negative: &NotUntil<QuantaInstant>) -> HttpResponse {
    let wait = negative.wait_time_from(DefaultClock::default().now());
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let seconds = seconds.max(1);
    let value = header::HeaderValue::from(seconds);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("Too many requests; retry in {seconds} s"),
    )
    .with_header(header::RETRY_AFTER, value)
    .error_response()
}

/// Who a limit counts requests of.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Client {
    User(String),
    Address(IpAddr),
}

/// Keys requests by the user of a validly signed access token, else by address. Only the
/// signature and expiry are checked here (no database): a revoked token is refused later anyway.
#[derive(Clone)]
pub struct UserOrAddress {
    keys: Arc<TokenKeys>,
    clock: Arc<dyn Clock>,
    trusted: Arc<[IpAddr]>,
}

impl std::fmt::Debug for UserOrAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserOrAddress")
            .field("trusted", &self.trusted)
            .finish_non_exhaustive()
    }
}

impl KeyExtractor for UserOrAddress {
    type Key = Client;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<Client, ApiError> {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        let user = token.and_then(|t| self.keys.verify(t, self.clock.now()).ok());
        Ok(match user {
            Some(claims) => Client::User(claims.sub),
            None => Client::Address(client_ip(req, &self.trusted)),
        })
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        too_many_requests(negative)
    }
}

/// Keys requests by address.
#[derive(Debug, Clone)]
pub struct Address {
    trusted: Arc<[IpAddr]>,
}

impl KeyExtractor for Address {
    type Key = IpAddr;
    type KeyExtractionError = ApiError;

    fn extract(&self, req: &ServiceRequest) -> Result<IpAddr, ApiError> {
        Ok(client_ip(req, &self.trusted))
    }

    fn exceed_rate_limit_response(
        &self,
        negative: &NotUntil<QuantaInstant>,
        _response: HttpResponseBuilder,
    ) -> HttpResponse {
        too_many_requests(negative)
    }
}

type Limit<K> = GovernorConfig<K, NoOpMiddleware<QuantaInstant>>;

/// `count` requests per `period` sustained (one back every `period / count`), at most `burst` at
/// once.
fn limit<K: KeyExtractor>(key: K, count: u32, period: Duration, burst: u32) -> Limit<K> {
    let interval = (period / count.max(1)).max(Duration::from_nanos(1));
    let config = GovernorConfigBuilder::default()
        .key_extractor(key)
        .period(interval)
        .burst_size(burst.max(1))
        .finish();
    match config {
        Some(config) => config,
        // `finish` refuses only a zero period or a zero burst, both ruled out above.
        None => unreachable!("rate limit period and burst are at least 1"),
    }
}

/// Every limiter, built once and shared by all workers (their state lives behind `Arc`s).
#[derive(Clone)]
pub struct RateLimiters {
    enabled: bool,
    default: Limit<UserOrAddress>,
    register: Limit<Address>,
    login: Limit<Address>,
    bulk: Limit<UserOrAddress>,
}

impl std::fmt::Debug for RateLimiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiters")
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// A limiter as middleware, or nothing when the limits are off.
pub type LimitMiddleware<K> = Condition<Governor<K, NoOpMiddleware<QuantaInstant>>>;

impl RateLimiters {
    /// Limits of `config`; a count of 0 is taken as 1.
    pub fn new(config: &RateLimitConfig, keys: Arc<TokenKeys>, clock: Arc<dyn Clock>) -> Self {
        let trusted: Arc<[IpAddr]> = config.trusted_proxies.clone().into();
        let per_user = UserOrAddress {
            keys,
            clock,
            trusted: trusted.clone(),
        };
        let per_ip = Address { trusted };
        let minute = Duration::from_secs(60);
        Self {
            enabled: config.enabled,
            default: limit(
                per_user.clone(),
                config.requests_per_minute,
                minute,
                config.burst,
            ),
            register: limit(
                per_ip.clone(),
                config.register_per_hour,
                Duration::from_secs(3600),
                config.register_per_hour,
            ),
            login: limit(
                per_ip,
                config.login_per_minute,
                minute,
                config.login_per_minute,
            ),
            bulk: limit(
                per_user,
                config.bulk_per_minute,
                minute,
                config.bulk_per_minute,
            ),
        }
    }

    /// The default limit, for the whole application.
    pub fn default_limit(&self) -> LimitMiddleware<UserOrAddress> {
        Condition::new(self.enabled, Governor::new(&self.default))
    }

    /// `POST /api/auth/register`: per IP per hour.
    pub fn register_limit(&self) -> LimitMiddleware<Address> {
        Condition::new(self.enabled, Governor::new(&self.register))
    }

    /// `POST /api/auth/login`: per IP per minute.
    pub fn login_limit(&self) -> LimitMiddleware<Address> {
        Condition::new(self.enabled, Governor::new(&self.login))
    }

    /// The bulk routes (`/api/bulk`): per user per minute, one budget shared by all of them.
    pub fn bulk_limit(&self) -> LimitMiddleware<UserOrAddress> {
        Condition::new(self.enabled, Governor::new(&self.bulk))
    }
}

#[cfg(test)]
#[path = "rate_limit_tests.rs"]
mod tests;
