//! `setParameter` calls on their way to the plugin, without a lock or an allocation on the
//! audio thread: a bounded lock-free queue that the next block or the next request to the
//! server drains, whichever comes first (read-your-writes), the count of blocks that took
//! changes (so a later request never overtakes them on the server), and a bitmap of the
//! parameters the DAW changed through blocks since the last chunk (a restart replays them).

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use bridge_ipc::AudioRegion;
use bridge_proto::PendingChanges;
use crossbeam_queue::ArrayQueue;

/// `setParameter` calls waiting for the next block or the next call, at most this many.
const PENDING_CAPACITY: usize = 1024;
/// Parameters whose DAW-set values are tracked for a restart (the documented cap).
pub const MAX_TRACKED_PARAMETERS: usize = 65_536;

/// Parameters whose queued value an audio thread can read back without asking the plugin.
const READ_BACK_PARAMETERS: usize = 4096;

/// See the module documentation.
pub struct ParameterChanges {
    /// Changes not yet seen by the plugin, oldest first.
    pending: ArrayQueue<(i32, f32)>,
    /// For each of the first [`READ_BACK_PARAMETERS`] parameters, the value last queued
    /// (low 32 bits) and the drain it waits for (high 32 bits: `drains + 1` when queued).
    queued_values: Box<[AtomicU64]>,
    /// Counts the times queued changes were taken (by a block or a request).
    drains: AtomicU32,
    /// Counts blocks that took changes from `pending` (see `BlockRequest::change_seq`).
    change_seq: AtomicU32,
    /// One bit per parameter changed through a block since the last chunk.
    touched: Box<[AtomicU64]>,
}

impl Default for ParameterChanges {
    fn default() -> Self {
        Self {
            pending: ArrayQueue::new(PENDING_CAPACITY),
            queued_values: (0..READ_BACK_PARAMETERS).map(|_| AtomicU64::new(0)).collect(),
            drains: AtomicU32::new(0),
            change_seq: AtomicU32::new(0),
            touched: (0..MAX_TRACKED_PARAMETERS / 64).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl ParameterChanges {
    /// Queues a change; `false` when the queue is full (the caller sends the queue over the
    /// connection).
    pub fn queue(&self, index: i32, value: f32) -> bool {
        if self.pending.push((index, value)).is_err() {
            return false;
        }
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| self.queued_values.get(i)) {
            let waits_for = next_drain(self.drains.load(Ordering::Acquire));
            slot.store(
                u64::from(waits_for) << 32 | u64::from(value.to_bits()),
                Ordering::Release,
            );
        }
        true
    }

    /// The value the DAW last queued for `index`, taken or not (`None`: never, or a
    /// parameter beyond the first 4096). What a restart replays for a parameter the DAW
    /// changed through blocks: the DAW's own intent, which a server that died before it
    /// published the plugin's value cannot have lost.
    pub fn last_queued(&self, index: i32) -> Option<f32> {
        let slot = self
            .queued_values
            .get(usize::try_from(index).ok()?)?
            .load(Ordering::Acquire);
        (slot >> 32 != 0).then(|| f32::from_bits(slot as u32))
    }

    /// What an audio thread reads back for `index` while changes wait: `Some(Some(value))`,
    /// the value last queued for it (what the plugin will be given); `Some(None)`, nothing
    /// queued for it; `None`, not known (a parameter beyond the first 4096). A change queued
    /// on another thread while a block takes the queue may be missed for that moment.
    pub fn queued_value(&self, index: i32) -> Option<Option<f32>> {
        let slot = self
            .queued_values
            .get(usize::try_from(index).ok()?)?
            .load(Ordering::Acquire);
        let waiting = (slot >> 32) as u32 == next_drain(self.drains.load(Ordering::Acquire));
        Some(waiting.then(|| f32::from_bits(slot as u32)))
    }

    /// Whether changes wait.
    pub fn any_queued(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Takes every queued change, oldest first, for a request that carries them, with the
    /// last block that took changes before (the server waits for that block's changes).
    pub fn take_pending(&self) -> PendingChanges {
        self.drains.fetch_add(1, Ordering::AcqRel);
        let mut changes = Vec::new();
        while let Some(change) = self.pending.pop() {
            changes.push(change);
        }
        // Read after draining: a block increments the count *before* it drains, so a
        // change this thread did not find was taken by a block this count covers.
        let after_block = self.change_seq.load(Ordering::SeqCst);
        PendingChanges { after_block, changes }
    }

    /// Moves queued changes into `region`'s request for the coming block (the caller holds
    /// the request area). The change count goes up first, see [`Self::take_pending`].
    pub fn drain_into_block(&self, region: &AudioRegion) {
        if self.pending.is_empty() {
            return;
        }
        self.drains.fetch_add(1, Ordering::AcqRel);
        let change_seq = self.change_seq.fetch_add(1, Ordering::SeqCst).wrapping_add(1).max(1);
        let capacity = region.capacity().max_param_changes;
        let request = region.request();
        // SAFETY: the request and queue are the proxy's between blocks, and the caller holds
        // the request area; `count` stays below the queue's capacity.
        unsafe {
            let mut count = (*request).num_param_changes;
            while count < capacity {
                let Some((index, value)) = self.pending.pop() else {
                    break;
                };
                region
                    .param_changes()
                    .add(count as usize)
                    .write([index as u32, value.to_bits()]);
                count += 1;
                self.touch(index);
            }
            (*request).num_param_changes = count;
            (*request).change_seq = change_seq;
        }
    }

    /// A fresh region (and perhaps a fresh server): no block has carried changes yet.
    pub fn restart_block_count(&self) {
        self.change_seq.store(0, Ordering::SeqCst);
    }

    /// Marks parameter `index` as changed since the last chunk.
    pub fn touch(&self, index: i32) {
        if let Some(word) = usize::try_from(index).ok().and_then(|i| self.touched.get(i / 64)) {
            word.fetch_or(1 << (index as usize % 64), Ordering::AcqRel);
        }
    }

    /// The parameters touched since the last [`Self::forget_touched`].
    pub fn touched(&self) -> Vec<usize> {
        let mut touched = Vec::new();
        for (word_index, word) in self.touched.iter().enumerate() {
            let mut bits = word.load(Ordering::Acquire);
            while bits != 0 {
                touched.push(word_index * 64 + bits.trailing_zeros() as usize);
                bits &= bits - 1;
            }
        }
        touched
    }

    /// Forgets which parameters were touched (the mirror took a newer chunk).
    pub fn forget_touched(&self) {
        for word in self.touched.iter() {
            word.store(0, Ordering::Release);
        }
    }
}

/// The tag of a change queued after `drains` drains: never 0, which marks a slot never set.
fn next_drain(drains: u32) -> u32 {
    drains.wrapping_add(1).max(1)
}

#[cfg(test)]
mod tests {
    use super::ParameterChanges;

    #[test]
    fn a_queued_change_reads_back_until_it_is_taken() {
        let changes = ParameterChanges::default();
        assert_eq!(changes.queued_value(3), Some(None), "nothing queued yet");
        assert!(changes.queue(3, 0.25) && changes.queue(3, 0.75) && changes.queue(9, 0.5));
        assert_eq!(changes.queued_value(3), Some(Some(0.75)), "the last value set wins");
        assert_eq!(changes.queued_value(4), Some(None), "another parameter is not queued");
        let taken = changes.take_pending();
        assert_eq!(taken.changes, vec![(3, 0.25), (3, 0.75), (9, 0.5)]);
        assert_eq!(changes.queued_value(3), Some(None), "taken: the plugin answers again");
        assert!(changes.queue(9, 0.125));
        assert_eq!(changes.queued_value(9), Some(Some(0.125)));
        assert_eq!(changes.queued_value(5000), None, "beyond the tracked parameters");
        assert_eq!(changes.queued_value(-1), None);
        assert_eq!(
            changes.last_queued(3),
            Some(0.75),
            "taken, but still what the DAW set last"
        );
        assert_eq!(changes.last_queued(4), None, "never set");
    }
}
