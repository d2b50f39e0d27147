//! Locking that survives a panicked holder: the proxy's mutexes guard plain data that a
//! panic (caught at the trampolines) cannot leave half-updated in a harmful way, and a DAW
//! must keep working after one.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex, ignoring poisoning.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
