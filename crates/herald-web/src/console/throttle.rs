//! Brakes on signing in: failed passwords per email address, attempts per client address, and
//! how many password checks run at once. A password check is deliberately costly (Argon2id,
//! about 19 MiB and tens of milliseconds each), so a flood of sign-ins must queue for a few
//! slots instead of taking every core and gigabytes at once; and every table here is bounded,
//! so random addresses cannot grow it. Kept in memory, per process.
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use jiff::{SignedDuration, Timestamp};
use tokio::sync::{Semaphore, SemaphorePermit};

/// After this many failed passwords for one address in [`ADDRESS_WINDOW`], it is locked.
pub const MAX_FAILURES: usize = 5;
pub const ADDRESS_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Sign-in attempts (passwords and emailed links) one client may make in [`CLIENT_WINDOW`].
pub const CLIENT_ATTEMPTS: usize = 30;
pub const CLIENT_WINDOW: SignedDuration = SignedDuration::from_mins(5);
/// Each table keeps at most this many addresses; the stalest go first.
pub const MAX_KEYS: usize = 10_000;
/// Password checks waiting for a slot beyond which a sign-in is turned away at once.
pub const MAX_WAITING: usize = 32;

pub struct SignInLimiter {
    failures: Mutex<Recent>,
    attempts: Mutex<Recent>,
    checks: Semaphore,
    waiting: AtomicUsize,
}

impl Default for SignInLimiter {
    /// As many password checks at once as there are cores, up to four.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SignInLimiter::with_slots(cores.clamp(1, 4))
    }
}

impl SignInLimiter {
    pub fn with_slots(slots: usize) -> SignInLimiter {
        SignInLimiter {
            failures: Mutex::new(Recent::new(MAX_FAILURES, ADDRESS_WINDOW)),
            attempts: Mutex::new(Recent::new(CLIENT_ATTEMPTS, CLIENT_WINDOW)),
            checks: Semaphore::new(slots),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Counts a sign-in attempt by `client`; when it has made too many, when it may try again.
    pub fn attempt(&self, client: &str, now: Timestamp) -> Result<(), Timestamp> {
        let mut attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(until) = attempts.blocked_until(client, now) {
            return Err(until);
        }
        attempts.record(client, now);
        Ok(())
    }

    /// When the address may try a password again, if it is locked out now.
    pub fn locked_until(&self, email: &str, now: Timestamp) -> Option<Timestamp> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.blocked_until(email, now)
    }

    pub fn failed(&self, email: &str, now: Timestamp) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.record(email, now);
    }

    pub fn succeeded(&self, email: &str) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.entries.remove(email);
    }

    /// A slot to check one password in, waiting for one if needed; `None` when so many are
    /// already waiting that this one should come back later.
    pub async fn check_slot(&self) -> Option<SemaphorePermit<'_>> {
        if let Ok(permit) = self.checks.try_acquire() {
            return Some(permit);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        let permit = self.checks.acquire().await.ok();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        permit
    }

    /// How many addresses each table holds: (failed passwords, client attempts).
    pub fn sizes(&self) -> (usize, usize) {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let attempts = self.attempts.lock().unwrap_or_else(|e| e.into_inner());
        (failures.entries.len(), attempts.entries.len())
    }
}

/// Recent events per key: at most `limit` in `window`, and at most [`MAX_KEYS`] keys.
struct Recent {
    limit: usize,
    window: SignedDuration,
    entries: HashMap<String, Vec<Timestamp>>,
}

impl Recent {
    fn new(limit: usize, window: SignedDuration) -> Recent {
        Recent {
            limit,
            window,
            entries: HashMap::new(),
        }
    }

    fn blocked_until(&mut self, key: &str, now: Timestamp) -> Option<Timestamp> {
        let window = self.window;
        let recent = self.entries.get_mut(key)?;
        recent.retain(|at| now.duration_since(*at) < window);
        if recent.len() < self.limit {
            return None;
        }
        recent
            .first()
            .and_then(|first| first.checked_add(window).ok())
    }

    fn record(&mut self, key: &str, now: Timestamp) {
        if !self.entries.contains_key(key) && self.entries.len() >= MAX_KEYS {
            self.make_room(now);
        }
        let recent = self.entries.entry(key.to_string()).or_default();
        recent.push(now);
        // Only the newest `limit` matter: the oldest of them says when the block ends.
        if recent.len() > self.limit {
            recent.remove(0);
        }
    }

    /// Forgets every key with nothing inside the window; if that is not enough, the quarter
    /// whose latest event is oldest, so the cost is paid once per many insertions.
    fn make_room(&mut self, now: Timestamp) {
        let window = self.window;
        self.entries.retain(|_, recent| {
            recent
                .last()
                .is_some_and(|at| now.duration_since(*at) < window)
        });
        if self.entries.len() < MAX_KEYS {
            return;
        }
        let mut latest: Vec<(Timestamp, String)> = self
            .entries
            .iter()
            .map(|(key, recent)| (recent.last().copied().unwrap_or(now), key.clone()))
            .collect();
        latest.sort();
        for (_, key) in latest.into_iter().take(MAX_KEYS / 4) {
            self.entries.remove(&key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn five_failures_lock_an_address_for_the_window() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.locked_until("a@example.com", t0()), None);
            limiter.failed("a@example.com", t0());
        }
        let until = t0().checked_add(ADDRESS_WINDOW).unwrap();
        assert_eq!(limiter.locked_until("a@example.com", t0()), Some(until));
        assert_eq!(limiter.locked_until("b@example.com", t0()), None);
        assert_eq!(limiter.locked_until("a@example.com", until), None);
    }

    #[test]
    fn a_client_is_turned_away_after_its_attempts_until_the_window_ends() {
        let limiter = SignInLimiter::default();
        for _ in 0..CLIENT_ATTEMPTS {
            limiter.attempt("203.0.113.7", t0()).unwrap();
        }
        let until = limiter.attempt("203.0.113.7", t0()).unwrap_err();
        assert_eq!(until, t0().checked_add(CLIENT_WINDOW).unwrap());
        assert!(limiter.attempt("203.0.113.8", t0()).is_ok(), "others go on");
        assert!(limiter.attempt("203.0.113.7", until).is_ok());
    }

    #[test]
    fn the_tables_stay_bounded_whatever_the_addresses() {
        let limiter = SignInLimiter::default();
        for i in 0..(3 * MAX_KEYS) {
            let at = t0()
                .checked_add(SignedDuration::from_millis(i as i64))
                .unwrap();
            limiter.failed(&format!("random-{i}@example.com"), at);
            let _ = limiter.attempt(&format!("client-{i}"), at);
        }
        let (failures, attempts) = limiter.sizes();
        assert!(
            failures <= MAX_KEYS && attempts <= MAX_KEYS,
            "{failures} {attempts}"
        );
        // The newest are kept: a lockout in progress is not forgotten for a flood of others.
        let last = format!("random-{}@example.com", 3 * MAX_KEYS - 1);
        assert!(limiter.failures.lock().unwrap().entries.contains_key(&last));
    }

    #[tokio::test]
    async fn password_checks_are_capped_and_a_full_queue_turns_sign_ins_away() {
        let limiter = std::sync::Arc::new(SignInLimiter::with_slots(2));
        let a = limiter.check_slot().await.unwrap();
        let _b = limiter.check_slot().await.unwrap();
        // Every slot is taken: the next ones wait, up to MAX_WAITING of them.
        let mut waiting = Vec::new();
        for _ in 0..MAX_WAITING {
            let limiter = limiter.clone();
            waiting.push(tokio::spawn(async move {
                limiter.check_slot().await.map(|_permit| ())
            }));
        }
        while limiter.waiting.load(Ordering::SeqCst) < MAX_WAITING {
            tokio::task::yield_now().await;
        }
        assert!(limiter.check_slot().await.is_none(), "the queue is full");
        drop(a);
        for task in waiting {
            assert_eq!(task.await.unwrap(), Some(()), "each waiter got its turn");
        }
        assert_eq!(limiter.waiting.load(Ordering::SeqCst), 0);
    }
}
