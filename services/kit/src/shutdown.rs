//! The process-wide shutdown signal: Ctrl-C or SIGTERM.

use tokio::sync::watch;

/// A cloneable shutdown signal that resolves once, for every holder.
#[derive(Debug, Clone)]
pub struct Shutdown {
    receiver: watch::Receiver<bool>,
}

/// Triggers a [`Shutdown`] by hand (tests, or a supervisor).
#[derive(Debug)]
pub struct ShutdownTrigger {
    sender: watch::Sender<bool>,
}

impl Shutdown {
    /// A signal that fires when the trigger fires or is dropped.
    pub fn new() -> (ShutdownTrigger, Shutdown) {
        let (sender, receiver) = watch::channel(false);
        (ShutdownTrigger { sender }, Shutdown { receiver })
    }

    /// A signal that fires on Ctrl-C or SIGTERM. The handlers are installed
    /// before this returns, so a signal that arrives right after start-up is
    /// a graceful shutdown, not the default abrupt exit.
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Self::new();
        let signals = Signals::install();
        tokio::spawn(async move {
            signals.wait().await;
            tracing::info!("shutdown requested");
            trigger.fire();
        });
        shutdown
    }

    /// Resolves once shutdown has been requested.
    pub async fn requested(mut self) {
        // An error means the trigger was dropped, which also means shut down.
        let _ = self.receiver.wait_for(|fired| *fired).await;
    }

    /// Whether shutdown has been requested already.
    pub fn is_requested(&self) -> bool {
        *self.receiver.borrow()
    }
}

impl ShutdownTrigger {
    /// Requests shutdown.
    pub fn fire(&self) {
        self.sender.send_replace(true);
    }
}

/// Installed handlers for SIGINT (Ctrl-C) and SIGTERM.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let install = |kind: SignalKind, name: &str| match signal(kind) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    tracing::warn!(%error, signal = name, "cannot listen for a shutdown signal");
                    None
                }
            };
            Self {
                interrupt: install(SignalKind::interrupt(), "SIGINT"),
                terminate: install(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            async fn next(signal: Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(mut signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(self.interrupt) => {}
                () = next(self.terminate) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
