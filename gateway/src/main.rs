//! The gateway binary: configuration from the environment, both listeners, graceful stop.

use std::net::TcpListener;

use anyhow::Context;
use gateway::app::Gateway;
use gateway::config::{Config, LogFormat, ProcessEnv};
use tracing_subscriber::EnvFilter;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_source(&ProcessEnv).context("invalid configuration")?;
    let server = &config.server;
    init_tracing(server.log_format);
    for d in &config.deprecated {
        tracing::warn!(old = d.old, new = d.new, "{d}");
    }
    let public = TcpListener::bind(("0.0.0.0", server.port))
        .with_context(|| format!("cannot bind PORT {}", server.port))?;
    // Loopback unless EVENTS_HOST says otherwise: only the broker's Trigger may deliver.
    let internal =
        TcpListener::bind((server.events_host, server.events_port)).with_context(|| {
            format!(
                "cannot bind EVENTS_HOST {} EVENTS_PORT {}",
                server.events_host, server.events_port
            )
        })?;
    let gateway = Gateway::build(&config, public, internal)?;
    let stopper = gateway.stopper();
    tracing::info!(
        port = server.port,
        events_port = server.events_port,
        events_host = %server.events_host,
        events_oidc = config.oidc.is_some(),
        broker = %config.broker.url,
        replica = %server.replica_id,
        "gateway listening"
    );
    let public = actix_web::rt::spawn(gateway.public);
    let internal = actix_web::rt::spawn(gateway.internal);

    let signal = shutdown_signal().await;
    tracing::info!(signal, "shutting down");
    stopper.stop().await;
    public.await.context("public server task")??;
    internal.await.context("internal server task")??;
    tracing::info!("stopped");
    Ok(())
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Pretty => builder.init(),
    }
}

/// Resolves on SIGTERM (Kubernetes) or SIGINT (a terminal).
async fn shutdown_signal() -> &'static str {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = ctrl_c => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = ctrl_c.await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
        "SIGINT"
    }
}
