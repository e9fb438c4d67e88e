//! Who is calling: a bearer credential (API key or session token) resolved to its workspace,
//! and a per-credential rate limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use records::{Principal, Role};

use super::AppState;
use super::error::{ApiError, Code};

/// The authenticated caller of a /v1 route.
pub struct Caller(pub Principal);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let credential = bearer(parts).ok_or_else(ApiError::unauthorized)?;
        let principal = state
            .app
            .store
            .people()
            .authenticate(credential)
            .await?
            .ok_or_else(ApiError::unauthorized)?;
        state.rate_limiter.admit(&principal.actor)?;
        Ok(Caller(principal))
    }
}

/// The credential of `Authorization: Bearer <credential>`, if the request has one.
pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

impl Caller {
    pub fn workspace(&self) -> &str {
        &self.0.workspace_id
    }

    pub fn actor(&self) -> &str {
        &self.0.actor
    }

    /// Refuses a caller whose role is below `needed` (admin > team admin > staff).
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.0.role.includes(needed) {
            Ok(())
        } else {
            Err(ApiError::new(
                Code::Forbidden,
                format!("this needs the {needed} role or above"),
            ))
        }
    }
}

/// Wrong passwords, counted per account and per client address in this process: past the
/// configured number within the window, sign-in answers 429 with `Retry-After` until the
/// window ends, even for the right password.
pub struct LoginThrottle {
    per_account: u32,
    per_address: u32,
    window: Duration,
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

/// How many remembered failures make the throttle forget the ones whose window has ended.
const THROTTLE_PRUNE_AT: usize = 10_000;

impl LoginThrottle {
    pub fn new(per_account: u32, per_address: u32, window: Duration) -> Self {
        LoginThrottle {
            per_account: per_account.max(1),
            per_address: per_address.max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// What a sign-in is counted against: (key, allowed failures, what to call it).
    fn counters(&self, email: &str, address: IpAddr) -> [(String, u32, &'static str); 2] {
        [
            (format!("account:{email}"), self.per_account, "account"),
            (format!("address:{address}"), self.per_address, "address"),
        ]
    }

    /// Refuses a sign-in while the account or the address has used up its failures, and
    /// otherwise counts it as one until it succeeds: attempts sent together are counted
    /// together, before any password is checked.
    pub fn admit(&self, email: &str, address: IpAddr) -> Result<(), ApiError> {
        let Ok(mut failures) = self.failures.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if failures.len() >= THROTTLE_PRUNE_AT {
            failures.retain(|_, (_, since)| now.duration_since(*since) < self.window);
        }
        for (key, limit, what) in self.counters(email, address) {
            if let Some((count, since)) = failures.get(&key)
                && *count >= limit
                && now.duration_since(*since) < self.window
            {
                let wait = (self.window - now.duration_since(*since)).as_secs().max(1);
                let mut error = ApiError::new(
                    Code::RateLimited,
                    format!("too many wrong passwords for this {what}; try again in {wait} s"),
                );
                error.retry_after = Some(wait);
                return Err(error);
            }
        }
        for (key, _, _) in self.counters(email, address) {
            let entry = failures.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= self.window {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
        Ok(())
    }

    /// The right password: the attempt was not a failure, and the account's earlier ones are
    /// forgotten.
    pub fn succeeded(&self, email: &str, address: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&format!("account:{email}"));
            if let Some((count, _)) = failures.get_mut(&format!("address:{address}")) {
                *count = count.saturating_sub(1);
            }
        }
    }
}

/// The buckets kept before the full ones are dropped.
const MAX_BUCKETS: usize = 100_000;

/// A token bucket per credential (or client address), in this process.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_second: f64, burst: u32) -> Self {
        RateLimiter {
            per_second: per_second.max(0.001),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request of `actor` (a credential, or a client address) from its bucket.
    pub(super) fn admit(&self, actor: &str) -> Result<(), ApiError> {
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        if buckets.len() >= MAX_BUCKETS {
            // A full bucket says nothing a new one would not: many addresses cost no memory.
            let (per_second, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * per_second < burst
            });
        }
        let (tokens, last) = buckets
            .entry(actor.to_string())
            .or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - *tokens) / self.per_second).ceil() as u64;
        let mut error = ApiError::new(
            Code::RateLimited,
            format!(
                "more than {} requests per second from this credential or address (burst {}); retry in {wait} s",
                self.per_second, self.burst
            ),
        );
        error.retry_after = Some(wait.max(1));
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_admitted_then_the_rate_holds() {
        let limiter = RateLimiter::new(1.0, 3);
        for _ in 0..3 {
            assert!(limiter.admit("key:a").is_ok());
        }
        let refused = limiter.admit("key:a").unwrap_err();
        assert_eq!(refused.code, Code::RateLimited);
        assert_eq!(refused.retry_after, Some(1));
        assert!(
            limiter.admit("key:b").is_ok(),
            "each credential has its own bucket"
        );
    }
}
