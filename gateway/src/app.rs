//! Assembly: builds both HTTP servers from a [`Config`] and owns graceful shutdown.

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer};
use futures_util::future::{self, Either, FutureExt};
use tokio::sync::{watch, Semaphore};

use crate::analysis::spool::Spool;
use crate::broker::Publisher;
use crate::config::Config;
use crate::http::api::{self, ApiState};
use crate::http::internal::{self, InternalState};
use crate::http::oidc::Verifier;
use crate::http::public::{self, PublicState};
use crate::pipeline::Ledger;
use crate::registry::Registry;
use crate::session::SessionContext;
use crate::store::{memory::MemoryStore, redis::RedisStore, SharedStore, StoreError};
use crate::telemetry;

/// Time given to open connections once shutdown starts.
const SHUTDOWN_GRACE: u64 = 10;
/// Time sessions get to send their close frames before the servers stop.
const CLOSE_GRACE: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("could not set up the broker sender: {0}")]
    Broker(#[from] crate::broker::SenderError),
    #[error("could not listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("could not set up the result store: {0}")]
    Store(#[from] StoreError),
    #[error("could not set up OIDC verification of deliveries: {0}")]
    Oidc(#[from] crate::http::oidc::SetupError),
}

pub struct Gateway {
    pub public: Server,
    pub internal: Server,
    pub registry: Arc<Registry>,
    stopper: Stopper,
}

/// Stops a running gateway: readiness off and new upgrades refused, sessions closed with
/// 1012 (their undelivered results stay in the store for the resume), then both servers,
/// which finish the requests in flight (event deliveries included).
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

/// The configured store, and the spool beside it where REST analyses' records also go.
fn ledger(config: &Config, registry: Arc<Registry>) -> Result<Ledger, StoreError> {
    let settings = &config.store;
    let store: SharedStore = match &settings.redis_url {
        Some(url) => Arc::new(RedisStore::connect(url, settings.limits, registry)?),
        None => Arc::new(MemoryStore::new(
            settings.limits,
            settings.memory_max_bytes,
            registry,
        )),
    };
    Ok(Ledger::new(store).with_spool(spool(config)))
}

/// Where REST analyses are spooled, kept as long as their bookkeeping.
fn spool(config: &Config) -> Spool {
    Spool::new(config.uploads.results_dir.clone(), config.store.limits.ttl)
}

impl Gateway {
    /// Must run inside a Tokio runtime (the Redis store spawns its listener).
    pub fn build(
        config: &Config,
        public_listener: TcpListener,
        internal_listener: TcpListener,
    ) -> Result<Self, AppError> {
        telemetry::install();
        telemetry::set_log_key(config.server.log_id_key.as_deref());
        let oidc = match &config.oidc {
            Some(c) => Some(Arc::new(Verifier::new(c.clone())?)),
            None => None,
        };
        let registry = Arc::new(Registry::new(config.sessions.max_sessions));
        let ledger = ledger(config, registry.clone())?;
        tokio::spawn(crate::pipeline::deadline::watch(
            ledger.clone(),
            config.store.limits.chunk_timeout,
        ));
        let events = &config.events;
        if events.signing.is_insecure() {
            tracing::warn!("EVENT_SIGNING_INSECURE: submissions are not signed and results are not verified; anyone who can reach the events port can put results in front of users");
        }
        let broker = &config.broker;
        let publisher = Publisher {
            broker: broker.sender()?,
            source: broker.source.clone(),
            signing: events.signing.clone(),
            budget: events.budget,
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let ready = Arc::new(AtomicBool::new(true));
        let public_origins = &config.server.public_origins;
        let public_state = PublicState {
            session: SessionContext {
                registry: registry.clone(),
                ledger: ledger.clone(),
                publisher: publisher.clone(),
                settings: Arc::new(config.sessions.clone()),
                shutdown: shutdown_rx,
            },
            public_origins: public_origins.clone(),
            ready: ready.clone(),
        };
        let auth = config.server.auth.clone();
        let uploads = &config.uploads;
        let api_state = ApiState {
            spool: spool(config),
            ledger: ledger.clone(),
            publisher,
            settings: Arc::new(uploads.clone()),
            public_origins: public_origins.clone(),
            ready: ready.clone(),
            uploads: Arc::new(Semaphore::new(uploads.max_concurrent_uploads)),
            downloads: Arc::new(Semaphore::new(uploads.max_concurrent_downloads)),
        };
        let internal_state = InternalState {
            ledger,
            oidc,
            events: events.clone(),
        };
        let public = HttpServer::new(move || {
            let auth = auth.clone();
            App::new()
                .wrap(security_headers())
                // Only the WebSocket upgrade is gated: the page itself is public, and behind
                // an OAuth proxy the proxy gates everything anyway.
                .wrap_fn(move |req, srv| {
                    let gated = req.path() == "/ws" || req.path().starts_with("/api/");
                    if gated && !auth.is_open() {
                        if let Err(e) = auth.check(req.headers()) {
                            tracing::info!(code = e.code(), "websocket upgrade refused");
                            let res = HttpResponse::Unauthorized()
                                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                                .json(contract::ErrorBody::new(e.code(), e.to_string()));
                            return Either::Left(future::ready(Ok(req
                                .into_response(res)
                                .map_into_right_body())));
                        }
                    }
                    Either::Right(srv.call(req).map(|r| r.map(|r| r.map_into_left_body())))
                })
                .configure(public::configure(public_state.clone()))
                .configure(api::configure(api_state.clone()))
        })
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

/// Headers every public response carries unless a handler set its own (the page sets a
/// per-request CSP).
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=()",
        ))
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
}

#[cfg(test)]
mod tests;
