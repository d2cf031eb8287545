//! Assembly: builds both HTTP servers from a [`Config`] and owns graceful shutdown.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer};
use tokio::sync::watch;

use crate::broker::Broker;
use crate::config::Config;
use crate::http::internal::{self, InternalState};
use crate::http::public::{self, PublicState};
use crate::protocol::Limits;
use crate::registry::Registry;
use crate::session::SessionContext;

/// Time given to open connections once shutdown starts.
const SHUTDOWN_GRACE: u64 = 10;
/// Time sessions get to send their close frames before the servers stop.
const CLOSE_GRACE: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("could not build the broker client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("could not listen: {0}")]
    Listen(#[from] std::io::Error),
}

pub struct Gateway {
    pub public: Server,
    pub internal: Server,
    pub registry: Arc<Registry>,
    stopper: Stopper,
}

/// Stops a running gateway: sessions first (close 1012), then both servers.
#[derive(Clone)]
pub struct Stopper {
    shutdown: Arc<watch::Sender<bool>>,
    ready: Arc<AtomicBool>,
    public: ServerHandle,
    internal: ServerHandle,
}

impl Stopper {
    pub async fn stop(&self) {
        self.ready.store(false, Ordering::Relaxed);
        // Err only when no session is listening, which is fine.
        let _ = self.shutdown.send(true);
        tokio::time::sleep(CLOSE_GRACE).await;
        self.public.stop(true).await;
        self.internal.stop(true).await;
    }
}

impl Gateway {
    pub fn build(
        config: &Config,
        public_listener: TcpListener,
        internal_listener: TcpListener,
    ) -> Result<Self, AppError> {
        let registry = Arc::new(Registry::new(config.max_sessions, config.session_queue));
        let broker = Broker::new(
            config.broker_url.clone(),
            config.broker_timeout,
            config.broker_retries,
        )?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let ready = Arc::new(AtomicBool::new(true));
        let public_state = PublicState {
            session: SessionContext {
                registry: registry.clone(),
                broker,
                limits: Limits {
                    max_variants: config.max_variants_per_request,
                    max_frame_bytes: config.max_frame_bytes,
                },
                chunk_size: config.chunk_size,
                ce_source: config.ce_source.clone(),
                shutdown: shutdown_rx,
            },
            allowed_origins: config.allowed_origins.clone(),
            ready: ready.clone(),
        };
        let internal_state = InternalState {
            delivery: registry.clone(),
            registry: registry.clone(),
        };
        let public =
            HttpServer::new(move || App::new().configure(public::configure(public_state.clone())))
                .disable_signals()
                .shutdown_timeout(SHUTDOWN_GRACE)
                .listen(public_listener)?
                .run();
        let internal = HttpServer::new(move || {
            App::new().configure(internal::configure(internal_state.clone()))
        })
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE)
        .listen(internal_listener)?
        .run();
        let stopper = Stopper {
            shutdown: Arc::new(shutdown),
            ready,
            public: public.handle(),
            internal: internal.handle(),
        };
        Ok(Self {
            public,
            internal,
            registry,
            stopper,
        })
    }

    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }
}

#[cfg(test)]
mod tests;
