use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::Store;

/// Follows the audit log and publishes the id of the newest event, so that a running server
/// learns of every committed change, whichever process (or, later, replica) made it.
pub fn watch_changes(store: Arc<dyn Store>, every: Duration) -> watch::Receiver<i64> {
    let (tx, rx) = watch::channel(0);
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
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
