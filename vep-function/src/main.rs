//! `vep-function`: the Knative function server (default), and CLI tools for batch users.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use actix_web::{web, App, HttpServer};
use anyhow::Context;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use contract::delivery::Delivery;
use vep::config::{default_data_dir, Config, LogFormat, ProcessEnv};
use vep::http::State;
use vep::sink::MissingSink;

#[derive(Parser)]
#[command(
    version,
    about = "Annotates genetic variants (Ensembl VEP compatible output)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve CloudEvents over HTTP (the Knative function; the default).
    Serve,
    /// Annotate variants from a file or stdin (JSON Lines, VCF with CSQ, or TSV).
    Annotate(vep::cli::annotate::AnnotateArgs),
    /// Build a compact index of gene models for fast start-up.
    Index(vep::cli::index::IndexArgs),
    /// Whole-genome references: fetch a release, print its settings.
    Reference(vep::cli::reference::ReferenceArgs),
    /// Events: decode an annotated.v2 event's data to JSON.
    Event(vep::cli::event::EventArgs),
}

fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Pretty => builder.compact().init(),
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(),
        Command::Annotate(args) => vep::cli::annotate::run(args),
        Command::Index(args) => vep::cli::index::run(args),
        Command::Reference(args) => vep::cli::reference::run(args),
        Command::Event(args) => vep::cli::event::run(args),
    }
}

fn serve() -> anyhow::Result<()> {
    let config = Config::from_env(&ProcessEnv, default_data_dir())?;
    init_tracing(config.log_format);
    let metrics = metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .context("installing the metrics recorder")?;

    let started = Instant::now();
    let annotator = vep::backend::build(&config)?;
    let info = annotator.info();
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        backend = %info.backend,
        reference = %info.reference.as_ref().map(vep::reference::manifest::describe).unwrap_or_default(),
        "annotator ready"
    );
    let sink = config
        .sink
        .clone()
        // SINK_ATTEMPTS counts every attempt; the sender counts retries after the first.
        .map(|url| {
            Delivery::new(
                url,
                config.sink_timeout,
                config.sink_attempts.saturating_sub(1),
            )
            .map(|d| match &config.sink_token_file {
                Some(path) => d.with_token_file(path.clone()),
                None => d,
            })
        })
        .transpose()
        .context("building the K_SINK client")?;
    if let Some(path) = &config.sink_token_file {
        contract::delivery::check_token_file(path).context("SINK_TOKEN_FILE")?;
    }
    let missing_sink = MissingSink::check(config.knative_service.as_deref(), config.sink.as_ref());
    match (&sink, &missing_sink) {
        (Some(s), _) => tracing::info!(sink = %s.url(), "results go to K_SINK"),
        (None, Some(missing)) => {
            tracing::error!(code = missing.code(), error = %missing, "not ready: every event is answered 503")
        }
        (None, None) => tracing::info!("no K_SINK: results are returned as replies"),
    }
    let scoring = Arc::new(
        vep::scoring::Scoring::from_config(&config.scoring).context("loading the scoring stage")?,
    );
    tracing::info!(models = scoring.models().len(), "scoring stage ready");
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let state = web::Data::new(State {
        annotator: Arc::from(annotator),
        sink,
        missing_sink,
        source: config.source.clone(),
        overrides: config.overrides.clone(),
        ready: AtomicBool::new(true),
        workers: tokio::sync::Semaphore::new(workers * 2),
        metrics: Some(metrics),
        scoring: scoring.clone(),
        signing: config.signing.clone(),
        budget: config.event_budget,
    });
    let addr = SocketAddr::from((Ipv4Addr::UNSPECIFIED, config.port));
    if config.signing.is_insecure() {
        tracing::warn!("EVENT_SIGNING_INSECURE: submitted events are not verified and results are not signed; anyone who can reach this port can have variants annotated for any session");
    }
    tracing::info!(%addr, event_max_bytes = config.event_budget.bytes(), "vep-function listening");
    actix_web::rt::System::new().block_on(async move {
        // Readiness is only reported: a model that is not ready yet may scale from zero.
        for model in scoring.models().iter().cloned() {
            actix_web::rt::spawn(async move {
                let name = &model.spec.name;
                match model.client().ready().await {
                    Ok(true) => tracing::info!(model = %name, "scoring model ready"),
                    Ok(false) => tracing::warn!(model = %name, "scoring model not ready yet"),
                    Err(e) => {
                        tracing::warn!(model = %name, error = %e, "scoring model unreachable")
                    }
                }
            });
        }
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .configure(vep::http::routes)
        })
        .bind(addr)
        .with_context(|| format!("binding {addr}"))?
        // In-flight events finish before exit; Knative's timeoutSeconds bounds them anyway.
        .shutdown_timeout(30)
        .run()
        .await
        .context("server failed")
    })
}
