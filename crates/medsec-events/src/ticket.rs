//! A one-shot answer from the writer or flusher thread: a [`Ticket`] is
//! waited on by blocking ([`Ticket::wait`]) or awaited as a `Future` on
//! any executor, so async callers need no particular runtime.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

struct Slot<T> {
    state: Mutex<SlotState<T>>,
    ready: Condvar,
}

struct SlotState<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

/// The answer to a request, once the store has one.
#[must_use = "a ticket says when the request is done; wait for it or await it"]
pub struct Ticket<T> {
    slot: Arc<Slot<T>>,
}

/// The sending half of a ticket. Dropped without an answer, it answers
/// with its fallback (the store shut down before the request was done).
pub(crate) struct Completer<T> {
    slot: Arc<Slot<T>>,
    fallback: Option<T>,
}

/// A new ticket and its completer.
pub(crate) fn ticket<T>(fallback: T) -> (Ticket<T>, Completer<T>) {
    let slot = Arc::new(Slot {
        state: Mutex::new(SlotState {
            value: None,
            waker: None,
        }),
        ready: Condvar::new(),
    });
    (
        Ticket { slot: slot.clone() },
        Completer {
            slot,
            fallback: Some(fallback),
        },
    )
}

impl<T> Completer<T> {
    pub fn complete(mut self, value: T) {
        self.fallback = None;
        self.set(value);
    }

    fn set(&self, value: T) {
        let waker = {
            let mut s = self
                .slot
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            s.value = Some(value);
            s.waker.take()
        };
        self.slot.ready.notify_all();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(v) = self.fallback.take() {
            self.set(v);
        }
    }
}

impl<T> Ticket<T> {
    /// Blocks the calling thread until the answer is there.
    pub fn wait(self) -> T {
        let mut s = self
            .slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(v) = s.value.take() {
                return v;
            }
            s = self
                .slot
                .ready
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The answer, if it is already there.
    pub fn try_take(&self) -> Option<T> {
        self.slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .value
            .take()
    }
}

impl<T> Future for Ticket<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut s = self
            .slot
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match s.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                s.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}

impl<T> std::fmt::Debug for Ticket<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Ticket")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answered_from_another_thread_or_by_drop() {
        let (t, c) = ticket(0);
        std::thread::spawn(move || c.complete(7));
        assert_eq!(t.wait(), 7);
        let (t, c) = ticket(-1);
        drop(c);
        assert_eq!(t.wait(), -1);
    }
}
