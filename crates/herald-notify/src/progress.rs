//! How far the worker has got, for whoever must know that it has done everything due at an
//! instant: tests, which move the clock by hand and then check that nothing more happened.
//! Waiting for the worker to say so, rather than for a while, fails a test whose bug is there
//! however slow the machine.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use tokio::sync::watch;

/// The worker's side: counts its passes over the job table and reports the idle ones.
pub struct Passes {
    begun: Arc<AtomicU64>,
    idle: watch::Sender<Idle>,
}

/// A pass that found nothing due and nothing running.
#[derive(Clone, Copy, Debug, Default)]
struct Idle {
    pass: u64,
    /// The clock's time the pass looked for due jobs at.
    at: Option<Timestamp>,
}

impl Passes {
    pub fn new() -> Passes {
        Passes {
            begun: Arc::default(),
            idle: watch::Sender::new(Idle::default()),
        }
    }

    /// A new pass begins; its number.
    pub fn begin(&self) -> u64 {
        self.begun.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Pass `pass`, looking at `at`, found nothing due and nothing running.
    pub fn idle(&self, pass: u64, at: Timestamp) {
        self.idle.send_replace(Idle { pass, at: Some(at) });
    }

    pub fn progress(&self) -> Progress {
        Progress {
            begun: self.begun.clone(),
            idle: self.idle.subscribe(),
        }
    }
}

impl Default for Passes {
    fn default() -> Self {
        Passes::new()
    }
}

/// The watcher's side.
#[derive(Clone)]
pub struct Progress {
    begun: Arc<AtomicU64>,
    idle: watch::Receiver<Idle>,
}

impl Progress {
    /// Waits until a pass begun after this call finds nothing due at `now` (or later) and
    /// nothing running: whatever was committed before the call, and whatever came due by
    /// `now`, is done.
    pub async fn idle_at(&mut self, now: Timestamp) {
        let after = self.begun.load(Ordering::SeqCst);
        let done = |idle: &Idle| idle.pass > after && idle.at.is_some_and(|at| at >= now);
        // The worker lives as long as the server: a closed channel means it stopped, and
        // there is nothing more to wait for.
        let _ = self.idle.wait_for(done).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[tokio::test]
    async fn only_a_pass_begun_after_the_question_and_at_the_time_asked_answers_it() {
        let passes = Passes::new();
        let mut progress = passes.progress();
        let earlier = passes.begin();
        let wait = tokio::spawn(async move { progress.idle_at(at(60)).await });
        // Give the waiter the chance to look: it must still be waiting after each of these.
        tokio::task::yield_now().await;
        passes.idle(earlier, at(60));
        let late = passes.begin();
        passes.idle(late, at(0));
        tokio::task::yield_now().await;
        assert!(
            !wait.is_finished(),
            "an earlier pass, or one at an earlier time, is no answer"
        );
        let now = passes.begin();
        passes.idle(now, at(60));
        wait.await.unwrap();
    }
}
