//! Answers made on other threads (the writer thread, the blocking pool), handed to the HTTP
//! worker thread that waits for them, so that its request resumes in its turn.
//!
//! Each actix worker runs its connections as tasks of a tokio `LocalSet` on one thread. A task
//! woken from another thread goes to the set's remote queue, which the set serves only when its
//! local queue is empty or once every 31 tasks; a task woken on the worker thread itself goes to
//! the back of the local queue. Under load the local queue never empties (every connection with
//! a request ready is a local task), so answers woken from elsewhere were served one per 31
//! local tasks: the writer thread answers a whole batch of writes at once, and the n-th answer of
//! a batch waited for some 31 × n tasks of the worker. In the mixed workload at 256 connections,
//! the time from the writer's answer to its request going on was about 4 ms at the median and
//! 50 ms at the p99, most of the writes' p99 of 70 ms; pages computed on the blocking pool
//! waited the same way.
//!
//! A relay is started on first use on a thread running an actix event loop (an `Arbiter`: the
//! server's workers, `#[actix_web::test]`); elsewhere, as on a worker of an `HttpServer` run
//! without an actix system, answers are delivered from the thread that made them, as before.
//!
//! So the other thread does not wake the request itself: it hands the delivery of its answer to
//! the [`Relay`] of the request's worker thread, a task of that worker that makes every delivery
//! waiting for it each time it runs. Only the relay is woken from elsewhere (once for a whole
//! batch of answers); the requests it then wakes are woken on their own thread, into the local
//! queue, in order.

use std::cell::RefCell;
use tokio::sync::mpsc;

/// Delivers an answer to the task waiting for it (sends it down that task's channel).
pub type Delivery = Box<dyn FnOnce() + Send>;

/// The relay of one worker thread: where other threads send the deliveries of its answers.
#[derive(Debug, Clone)]
pub struct Relay {
    deliveries: mpsc::UnboundedSender<Delivery>,
}

thread_local! {
    /// This thread's relay, once started.
    static HERE: RefCell<Option<Relay>> = const { RefCell::new(None) };
}

impl Relay {
    /// The relay of this worker thread, started on first use; `None` on a thread that runs no
    /// actix event loop (the answer is then delivered from the thread that made it).
    #[must_use]
    pub fn here() -> Option<Self> {
        HERE.with_borrow_mut(|here| {
            if let Some(relay) = here
                && !relay.deliveries.is_closed()
            {
                return Some(relay.clone());
            }
            // An actix event loop runs its tasks in a `LocalSet`, which `spawn` needs.
            actix_rt::Arbiter::try_current()?;
            let (deliveries, mut waiting) = mpsc::unbounded_channel::<Delivery>();
            actix_rt::spawn(async move {
                while let Some(delivery) = waiting.recv().await {
                    delivery();
                }
            });
            let relay = Self { deliveries };
            *here = Some(relay.clone());
            Some(relay)
        })
    }

    /// Has `delivery` made on this relay's thread; made right here, on the calling thread, when
    /// that thread's event loop is gone (the server is stopping).
    pub fn deliver(&self, delivery: Delivery) {
        if let Err(mpsc::error::SendError(delivery)) = self.deliveries.send(delivery) {
            delivery();
        }
    }

    /// Has `delivery` made on the thread of `relay`, or right here without one.
    pub fn deliver_by(relay: Option<&Self>, delivery: Delivery) {
        match relay {
            Some(relay) => relay.deliver(delivery),
            None => delivery(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn an_answer_made_elsewhere_is_delivered_on_the_waiting_thread() {
        let relay = Relay::here().expect("an actix event loop runs this test");
        let waiting = std::thread::current().id();
        let (answer, answered) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            relay.deliver(Box::new(move || {
                let _ = answer.send(std::thread::current().id());
            }));
        });
        assert_eq!(answered.await.unwrap(), waiting);
    }

    #[test]
    fn without_an_event_loop_there_is_no_relay() {
        assert!(Relay::here().is_none());
        let (answer, answered) = std::sync::mpsc::channel();
        Relay::deliver_by(
            None,
            Box::new(move || {
                let _ = answer.send(std::thread::current().id());
            }),
        );
        assert_eq!(answered.recv().unwrap(), std::thread::current().id());
    }

    #[test]
    fn a_relay_whose_event_loop_stopped_delivers_right_away() {
        let relay = actix_rt::System::new().block_on(async { Relay::here().unwrap() });
        let (answer, answered) = std::sync::mpsc::channel();
        relay.deliver(Box::new(move || {
            let _ = answer.send(());
        }));
        assert!(answered.recv().is_ok());
    }
}
