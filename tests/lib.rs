//! End-to-end tests of the bridge across real processes live in `tests/tests/`. This crate
//! has no library code of its own.
