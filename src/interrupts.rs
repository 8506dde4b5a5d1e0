//! Ctrl-C and SIGTERM, counted: the first stops new work and tears down, the second
//! stops waiting (every delete is still issued, once), the third exits at once. Whoever
//! owns the signals sends the count; drills and teardown only read it.

use tokio::sync::watch;

/// The reading side: how many interrupts arrived so far.
#[derive(Clone)]
pub struct Interrupts {
    count: watch::Receiver<u32>,
}

/// The sending side, held by the signal handler (or a test).
pub struct InterruptSender {
    count: watch::Sender<u32>,
}

impl Interrupts {
    /// A pair: interrupts sent on the first are seen by the second and its clones.
    pub fn channel() -> (InterruptSender, Interrupts) {
        let (sender, receiver) = watch::channel(0);
        (InterruptSender { count: sender }, Interrupts { count: receiver })
    }

    /// Interrupts that never come.
    pub fn never() -> Self {
        Self::channel().1
    }

    pub fn count(&self) -> u32 {
        *self.count.borrow()
    }

    /// After a second interrupt, teardown stops waiting for anything.
    pub fn hurry(&self) -> bool {
        self.count() >= 2
    }

    /// Resolves once `n` interrupts arrived (never, if the sender is gone first).
    pub async fn reached(&self, n: u32) {
        let mut count = self.count.clone();
        if count.wait_for(|c| *c >= n).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl InterruptSender {
    /// Counts one more interrupt and returns the new count.
    pub fn send(&self) -> u32 {
        self.count.send_modify(|c| *c += 1);
        *self.count.borrow()
    }
}
