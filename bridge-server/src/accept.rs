//! Taking connections off a listener: each is handled on a thread of its own, so one that
//! sends nothing (or a stranger's) never delays the next; at most a given number are handled
//! at once, and more are dropped unread.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use bridge_ipc::Channel;
use bridge_ipc::endpoint::{self, Listener};

/// Accepts connections on `listener` until `stopped` says so (asked after each accept),
/// handing each to `handle` on a thread named `thread_name`. `in_flight` counts the
/// connections being handled; at most `limit` are.
pub fn accept_each(
    listener: &Listener,
    limit: usize,
    in_flight: &Arc<AtomicUsize>,
    thread_name: &str,
    stopped: &dyn Fn() -> bool,
    handle: impl Fn(Channel) + Clone + Send + 'static,
) {
    loop {
        let accepted = endpoint::accept(listener);
        if stopped() {
            return;
        }
        let stream = match accepted {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!("accept failed: {error}");
                thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if in_flight.fetch_add(1, Ordering::AcqRel) >= limit {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!("too many connections at once ({thread_name}); dropped one");
            continue;
        }
        let (handle, counter) = (handle.clone(), in_flight.clone());
        let spawned = thread::Builder::new().name(thread_name.into()).spawn(move || {
            handle(Channel::new(stream));
            counter.fetch_sub(1, Ordering::AcqRel);
        });
        if let Err(error) = spawned {
            in_flight.fetch_sub(1, Ordering::AcqRel);
            tracing::error!("cannot start a thread for a connection ({thread_name}): {error}");
        }
    }
}
