//! The bounded queue between appenders and the writer thread. It is
//! bounded by queued events and bytes, not by requests, so its memory is
//! bounded whatever the batch sizes; a full queue blocks a blocking
//! appender and leaves an async one pending (backpressure), and the
//! writer takes everything queued at once, which makes the group of one
//! commit.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use medsec_logs::Event;

use crate::error::{Error, Result};
use crate::store::AppendReceipt;
use crate::ticket::Completer;

pub(crate) enum Request {
    Append {
        events: Vec<Event>,
        bytes: usize,
        done: Completer<Result<AppendReceipt>>,
    },
    /// Freeze the tail and wait until it is in segments.
    Flush { done: Completer<Result<()>> },
}

impl Request {
    fn size(&self) -> (usize, usize) {
        match self {
            Request::Append { events, bytes, .. } => (events.len(), *bytes),
            Request::Flush { .. } => (0, 0),
        }
    }
}

struct State {
    reqs: VecDeque<Request>,
    events: usize,
    bytes: usize,
    closed: bool,
    wakers: Vec<Waker>,
}

pub(crate) struct Queue {
    state: Mutex<State>,
    not_empty: Condvar,
    not_full: Condvar,
    max_events: usize,
    max_bytes: usize,
}

impl Queue {
    pub fn new(max_events: usize, max_bytes: usize) -> Queue {
        Queue {
            state: Mutex::new(State {
                reqs: VecDeque::new(),
                events: 0,
                bytes: 0,
                closed: false,
                wakers: Vec::new(),
            }),
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
            max_events: max_events.max(1),
            max_bytes: max_bytes.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a request of this size may enter now. A request larger
    /// than the bound enters an empty queue, so it cannot wait forever.
    fn fits(&self, s: &State, (events, bytes): (usize, usize)) -> bool {
        s.reqs.is_empty()
            || (s.events + events <= self.max_events && s.bytes + bytes <= self.max_bytes)
    }

    fn push_locked(&self, s: &mut State, req: Request) {
        let (e, b) = req.size();
        s.events += e;
        s.bytes += b;
        s.reqs.push_back(req);
        self.not_empty.notify_one();
    }

    /// Queues a request, blocking while the queue is full.
    pub fn push(&self, req: Request) -> Result<()> {
        let size = req.size();
        let mut s = self.lock();
        loop {
            if s.closed {
                return Err(Error::Closed);
            }
            if self.fits(&s, size) {
                self.push_locked(&mut s, req);
                return Ok(());
            }
            s = self
                .not_full
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Queues a request if there is room now; gives it back otherwise.
    pub fn try_push(&self, req: Request) -> Result<Result<(), Request>> {
        let mut s = self.lock();
        if s.closed {
            return Err(Error::Closed);
        }
        if self.fits(&s, req.size()) {
            self.push_locked(&mut s, req);
            Ok(Ok(()))
        } else {
            Ok(Err(req))
        }
    }

    /// The async form of [`Queue::push`]: queues the request (taking it
    /// out of `slot`) or registers the task to be woken when room frees.
    pub fn poll_push(&self, slot: &mut Option<Request>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut s = self.lock();
        if s.closed {
            return Poll::Ready(Err(Error::Closed));
        }
        let Some(req) = slot.take() else {
            return Poll::Ready(Ok(()));
        };
        if self.fits(&s, req.size()) {
            self.push_locked(&mut s, req);
            Poll::Ready(Ok(()))
        } else {
            *slot = Some(req);
            s.wakers.push(cx.waker().clone());
            Poll::Pending
        }
    }

    /// Takes every queued request, waiting while there is none; `None`
    /// once the queue is closed and empty.
    pub fn take_all(&self) -> Option<Vec<Request>> {
        let mut s = self.lock();
        loop {
            if !s.reqs.is_empty() {
                let reqs: Vec<Request> = s.reqs.drain(..).collect();
                s.events = 0;
                s.bytes = 0;
                let wakers = std::mem::take(&mut s.wakers);
                drop(s);
                self.not_full.notify_all();
                for w in wakers {
                    w.wake();
                }
                return Some(reqs);
            }
            if s.closed {
                return None;
            }
            s = self
                .not_empty
                .wait(s)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Refuses new requests; the writer still takes what is queued.
    pub fn close(&self) {
        let mut s = self.lock();
        s.closed = true;
        let wakers = std::mem::take(&mut s.wakers);
        drop(s);
        self.not_empty.notify_all();
        self.not_full.notify_all();
        for w in wakers {
            w.wake();
        }
    }

    /// Queued events and bytes.
    pub fn usage(&self) -> (usize, usize) {
        let s = self.lock();
        (s.events, s.bytes)
    }
}
