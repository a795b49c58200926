//! The event-stream caps: `http.max_streams` open streams in all, and
//! `http.max_streams_per_identity` per identity, so one signed-in person or token (a script
//! opening streams in a loop) cannot take every slot. The `local` identity is one person by
//! definition, the operator at the machine (and the bench's 10,000 clients), so only the total
//! applies to it. A slot is a [`StreamSlot`] the stream's body owns: it is given back when the
//! stream ends or the client goes away, whichever comes first.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use replimap_types::ErrorCode;

use crate::error::AppError;

/// Open streams, counted.
#[derive(Debug)]
pub struct StreamSlots {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    max_total: usize,
    max_per_identity: usize,
    total: AtomicUsize,
    by_identity: Mutex<HashMap<String, usize>>,
}

/// Which cap refused a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// `http.max_streams`.
    Total,
    /// `http.max_streams_per_identity`.
    PerIdentity,
}

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    inner: Arc<Inner>,
    identity: Option<String>,
}

impl StreamSlots {
    /// Slots for `max_total` streams, `max_per_identity` of them per identity.
    pub fn new(max_total: usize, max_per_identity: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                max_total,
                max_per_identity,
                total: AtomicUsize::new(0),
                by_identity: Mutex::default(),
            }),
        }
    }

    /// A slot for a stream of `identity` (`None`: only the total applies), or the cap in the way.
    pub fn try_acquire(&self, identity: Option<String>) -> Result<StreamSlot, Cap> {
        let inner = &self.inner;
        let taken =
            inner.total.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < inner.max_total).then_some(n + 1));
        if taken.is_err() {
            return Err(Cap::Total);
        }
        if let Some(id) = &identity {
            let mut by = inner.by_identity.lock().unwrap_or_else(|p| p.into_inner());
            let n = by.entry(id.clone()).or_insert(0);
            if *n >= inner.max_per_identity {
                drop(by);
                inner.total.fetch_sub(1, Ordering::AcqRel);
                return Err(Cap::PerIdentity);
            }
            *n += 1;
        }
        Ok(StreamSlot { inner: inner.clone(), identity })
    }

    /// Streams open now.
    pub fn open(&self) -> usize {
        self.inner.total.load(Ordering::Acquire)
    }

    /// The refusal's envelope: 429, naming the cap and its setting.
    pub fn refusal(&self, cap: Cap) -> AppError {
        let message = match cap {
            Cap::Total => format!(
                "The portal already serves {} event streams, its limit (http.max_streams); try again later.",
                self.inner.max_total
            ),
            Cap::PerIdentity => format!(
                "This identity already has {} event streams open, the limit per identity \
                 (http.max_streams_per_identity); close other tabs or clients.",
                self.inner.max_per_identity
            ),
        };
        AppError::new(ErrorCode::LimitReached, message)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Some(id) = &self.identity {
            let mut by = self.inner.by_identity.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = by.get_mut(id) {
                *n -= 1;
                if *n == 0 {
                    // Identities come and go; an empty entry would stay for the life of the process.
                    by.remove(id);
                }
            }
        }
        self.inner.total.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_hold_and_dropped_slots_come_back() {
        let slots = StreamSlots::new(3, 2);
        let alice = || Some("token:alice".to_owned());
        let a1 = slots.try_acquire(alice()).unwrap();
        let _a2 = slots.try_acquire(alice()).unwrap();
        assert_eq!(slots.try_acquire(alice()).unwrap_err(), Cap::PerIdentity);
        assert_eq!(slots.open(), 2, "a refusal takes no slot");
        let _local = slots.try_acquire(None).unwrap();
        assert_eq!(slots.try_acquire(None).unwrap_err(), Cap::Total);
        drop(a1);
        let _a3 = slots.try_acquire(alice()).unwrap();
        assert_eq!(slots.open(), 3);
        assert_eq!(slots.inner.by_identity.lock().unwrap().get("token:alice"), Some(&2));
    }

    #[test]
    fn an_identity_without_streams_is_forgotten() {
        let slots = StreamSlots::new(10, 10);
        drop(slots.try_acquire(Some("session:bob".into())).unwrap());
        assert!(slots.inner.by_identity.lock().unwrap().is_empty());
        assert_eq!(slots.open(), 0);
    }
}
