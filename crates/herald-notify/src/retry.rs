//! When to try a failed delivery again, and when to give up on a subscriber.
use std::time::Duration;

use herald_store::Outcome;
use jiff::{SignedDuration, Timestamp};

use crate::http::Attempt;

#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// The wait after the first failure; it doubles with each further one.
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// A subscriber every delivery has failed to for this long is disabled.
    pub disable_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay: Duration::from_secs(30),
            max_delay: Duration::from_secs(60 * 60),
            disable_after: Duration::from_secs(3 * 24 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after `failures` failures (1 for the first), doubled each time up to the
    /// maximum, then spread by `jitter` (0 to 1) over its upper half so that receivers coming
    /// back are not hit by every retry at once.
    pub fn delay(&self, failures: u32, jitter: f64) -> Duration {
        let doubled = self
            .first_delay
            .saturating_mul(1u32 << failures.saturating_sub(1).min(20));
        let capped = doubled.min(self.max_delay);
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }

    /// What an attempt means for the delivery. `failures` counts earlier failed attempts;
    /// `failing_since` is when the subscriber's current run of failures began.
    pub fn outcome(
        &self,
        attempt: Attempt,
        failures: u32,
        failing_since: Option<Timestamp>,
        now: Timestamp,
        jitter: f64,
    ) -> Outcome {
        let retry_in = |wait: Duration, error: String| Outcome::Retry {
            at: later(now, wait),
            error,
        };
        let backoff = self.delay(failures + 1, jitter);
        match attempt {
            Attempt::Delivered => Outcome::Delivered,
            Attempt::Gone { status } => Outcome::Failed {
                error: format!(
                    "answered {status} Gone: the receiver asked to be removed, so this subscriber is disabled"
                ),
                disable: true,
            },
            Attempt::Refused { error } => Outcome::Failed {
                error,
                disable: true,
            },
            _ if self.failing_too_long(failing_since, now) => Outcome::Failed {
                error: format!(
                    "{}; every delivery has failed since {}, so this subscriber is disabled",
                    describe(&attempt),
                    failing_since.map(|t| t.to_string()).unwrap_or_default()
                ),
                disable: true,
            },
            Attempt::SlowDown { retry_after, .. } => retry_in(
                retry_after.unwrap_or(backoff).max(backoff),
                describe(&attempt),
            ),
            Attempt::Failed { error } => retry_in(backoff, error),
        }
    }

    fn failing_too_long(&self, since: Option<Timestamp>, now: Timestamp) -> bool {
        let limit = SignedDuration::try_from(self.disable_after).unwrap_or(SignedDuration::MAX);
        since.is_some_and(|since| now.duration_since(since) >= limit)
    }
}

/// Words for the delivery report.
pub(crate) fn describe(attempt: &Attempt) -> String {
    match attempt {
        Attempt::Delivered => "delivered".into(),
        Attempt::Gone { status } => format!("answered {status} Gone"),
        Attempt::SlowDown {
            status,
            retry_after: Some(wait),
        } => format!(
            "answered {status} and asked to wait {} s before trying again",
            wait.as_secs()
        ),
        Attempt::SlowDown { status, .. } => format!("answered {status}: overloaded, slowing down"),
        Attempt::Failed { error } | Attempt::Refused { error } => error.clone(),
    }
}

/// `wait` after `now`, or the end of time when that overflows.
pub(crate) fn later(now: Timestamp, wait: Duration) -> Timestamp {
    SignedDuration::try_from(wait)
        .ok()
        .and_then(|wait| now.checked_add(wait).ok())
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2025-06-02T09:00:00Z";

    fn now() -> Timestamp {
        NOW.parse().unwrap()
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn the_wait_doubles_up_to_the_cap_and_jitter_spreads_its_upper_half() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, 1.0), secs(30));
        assert_eq!(p.delay(2, 1.0), secs(60));
        assert_eq!(p.delay(3, 1.0), secs(120));
        assert_eq!(p.delay(1, 0.0), secs(15));
        assert_eq!(p.delay(30, 1.0), secs(3600));
        assert_eq!(p.delay(u32::MAX, 0.5), secs(2700));
    }

    #[test]
    fn retry_after_is_honoured_but_never_shortens_the_backoff() {
        let p = RetryPolicy::default();
        let slow = |after: u64| Attempt::SlowDown {
            status: 429,
            retry_after: Some(secs(after)),
        };
        let at = |o: Outcome| match o {
            Outcome::Retry { at, .. } => at.duration_since(now()).as_secs(),
            other => panic!("{other:?}"),
        };
        assert_eq!(at(p.outcome(slow(120), 0, None, now(), 1.0)), 120);
        assert_eq!(at(p.outcome(slow(1), 0, None, now(), 1.0)), 30);
        let busy = Attempt::SlowDown {
            status: 503,
            retry_after: None,
        };
        assert_eq!(at(p.outcome(busy, 2, None, now(), 1.0)), 120);
    }

    #[test]
    fn gone_and_refused_disable_at_once() {
        let p = RetryPolicy::default();
        for attempt in [
            Attempt::Gone { status: 410 },
            Attempt::Refused {
                error: "private".into(),
            },
        ] {
            assert!(matches!(
                p.outcome(attempt, 0, None, now(), 0.5),
                Outcome::Failed { disable: true, .. }
            ));
        }
    }

    #[test]
    fn a_subscriber_failing_for_days_is_disabled() {
        let p = RetryPolicy::default();
        let failed = || Attempt::Failed {
            error: "answered 500".into(),
        };
        let two_days_ago = now().checked_sub(SignedDuration::from_hours(48)).unwrap();
        assert!(matches!(
            p.outcome(failed(), 40, Some(two_days_ago), now(), 0.5),
            Outcome::Retry { .. }
        ));
        let three_days_ago = now().checked_sub(SignedDuration::from_hours(72)).unwrap();
        match p.outcome(failed(), 41, Some(three_days_ago), now(), 0.5) {
            Outcome::Failed { error, disable } => {
                assert!(disable);
                assert!(error.contains("answered 500"), "{error}");
                assert!(error.contains("since 2025-05-30"), "{error}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            p.outcome(Attempt::Delivered, 41, Some(three_days_ago), now(), 0.5),
            Outcome::Delivered
        );
    }
}
