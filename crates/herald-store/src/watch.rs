use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::Store;

/// Follows the audit log and publishes the id of the newest event, so that a running server
/// learns of every committed change, whichever process (or, later, replica) made it. It looks
/// every `every`, and at once when `nudge` is notified (after a write in this process).
pub fn watch_changes(
    store: Arc<dyn Store>,
    every: Duration,
    nudge: Arc<Notify>,
) -> watch::Receiver<i64> {
    let (tx, rx) = watch::channel(0);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = nudge.notified() => {}
            }
            match store.last_event_id().await {
                Ok(id) => {
                    tx.send_if_modified(|seen| {
                        let newer = id > *seen;
                        if newer {
                            *seen = id;
                        }
                        newer
                    });
                }
                Err(err) => tracing::warn!(%err, "could not read the audit log; will retry"),
            }
            if tx.is_closed() {
                break;
            }
        }
    });
    rx
}
