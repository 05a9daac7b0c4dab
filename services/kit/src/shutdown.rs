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

    /// A signal that fires on Ctrl-C or SIGTERM.
    pub fn on_signals() -> Shutdown {
        let (trigger, shutdown) = Self::new();
        tokio::spawn(async move {
            wait_for_signal().await;
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

async fn wait_for_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
