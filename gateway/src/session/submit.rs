//! Turning an `analyze` request into broker submissions, and their outcome into replies.

use futures_util::future::{FutureExt, LocalBoxFuture};

use super::SessionContext;
use crate::broker::BrokerError;
use crate::events::{build_submitted, chunk, Submission, SubmitError};
use crate::protocol::ServerMessage;
use crate::registry::{Registry, RegistryError};

pub type Pending = LocalBoxFuture<'static, SubmitOutcome>;

#[derive(Debug)]
pub struct SubmitOutcome {
    pub request_id: String,
    pub analysis_id: String,
    pub variant_count: usize,
    /// (chunk index, variant count) of every chunk, in order.
    pub chunks: Vec<(u64, u64)>,
    /// How many chunks the broker accepted before `failure` (all of them when `None`).
    pub sent: usize,
    pub failure: Option<BrokerError>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Build(#[from] SubmitError),
}

impl StartError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Registry(e) => e.code(),
            Self::Build(_) => "internal",
        }
    }
}

/// Registers the analysis (so an early result finds it) and returns the sending future.
pub fn start(
    ctx: &SessionContext,
    session_id: &str,
    request_id: String,
    variants: Vec<String>,
) -> Result<Pending, StartError> {
    let analysis_id = uuid::Uuid::new_v4().to_string();
    let variant_count = variants.len();
    let chunks = chunk(variants, ctx.chunk_size);
    let sub = Submission {
        source: &ctx.ce_source,
        session_id,
        analysis_id: &analysis_id,
        request_id: &request_id,
    };
    let events = chunks
        .iter()
        .map(|c| build_submitted(&sub, c))
        .collect::<Result<Vec<_>, _>>()?;
    let sizes: Vec<(u64, u64)> = chunks
        .iter()
        .map(|c| (c.index as u64, c.variants.len() as u64))
        .collect();
    ctx.registry
        .begin_analysis(session_id, &analysis_id, &request_id, sizes.len() as u64)?;
    tracing::info!(%session_id, %analysis_id, variant_count, chunk_count = sizes.len(), "submitting analysis");

    let broker = ctx.broker.clone();
    Ok(async move {
        let mut sent = 0;
        let mut failure = None;
        for event in &events {
            match broker.send(event).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        SubmitOutcome {
            request_id,
            analysis_id,
            variant_count,
            chunks: sizes,
            sent,
            failure,
        }
    }
    .boxed_local())
}

/// The replies for a finished submission. Chunks that never reached the broker are
/// reported as failed, so the analysis still completes; nothing is silently lost.
pub fn finish(registry: &Registry, outcome: SubmitOutcome) -> Vec<ServerMessage> {
    let SubmitOutcome {
        request_id,
        analysis_id,
        variant_count,
        chunks,
        sent,
        failure,
    } = outcome;
    let accepted = ServerMessage::Accepted {
        request_id: request_id.clone(),
        analysis_id: analysis_id.clone(),
        variant_count,
        chunk_count: chunks.len(),
    };
    match failure {
        None => vec![accepted],
        Some(e) if sent == 0 => {
            tracing::warn!(%analysis_id, code = e.code(), error = %e, "submission failed");
            registry.abandon_analysis(&analysis_id);
            vec![ServerMessage::request_error(
                Some(request_id),
                e.code(),
                e.to_string(),
            )]
        }
        Some(e) => {
            tracing::warn!(%analysis_id, sent, code = e.code(), error = %e, "submission partly failed");
            let unsent = chunks.get(sent..).unwrap_or_default();
            let mut msgs = vec![accepted];
            msgs.extend(registry.fail_chunks(&analysis_id, unsent, e.code(), &e.to_string()));
            msgs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(analysis_id: &str, sent: usize, failure: Option<BrokerError>) -> SubmitOutcome {
        SubmitOutcome {
            request_id: "r1".into(),
            analysis_id: analysis_id.into(),
            variant_count: 5,
            chunks: vec![(0, 3), (1, 2)],
            sent,
            failure,
        }
    }

    #[test]
    fn accepted_when_every_chunk_was_sent() {
        let reg = Registry::new(2, 4);
        let (sid, _rx) = reg.register_session().expect("room");
        reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
        let msgs = finish(&reg, outcome("a1", 2, None));
        assert!(matches!(
            msgs.as_slice(),
            [ServerMessage::Accepted {
                chunk_count: 2,
                variant_count: 5,
                ..
            }]
        ));
        assert_eq!(reg.analysis_count(), 1);
    }

    #[test]
    fn nothing_sent_is_an_error_and_the_analysis_is_dropped() {
        let reg = Registry::new(2, 4);
        let (sid, _rx) = reg.register_session().expect("room");
        reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
        let msgs = finish(&reg, outcome("a1", 0, Some(BrokerError::Rejected(400))));
        match msgs.as_slice() {
            [ServerMessage::Error {
                request_id, code, ..
            }] => {
                assert_eq!(request_id.as_deref(), Some("r1"));
                assert_eq!(code, "broker_rejected");
            }
            other => panic!("expected one error, got {other:?}"),
        }
        assert_eq!(reg.analysis_count(), 0);
    }

    #[test]
    fn partly_sent_is_accepted_with_the_rest_reported_failed() {
        let reg = Registry::new(2, 4);
        let (sid, _rx) = reg.register_session().expect("room");
        reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
        let failure = BrokerError::Timeout { attempts: 4 };
        let msgs = finish(&reg, outcome("a1", 1, Some(failure)));
        match msgs.as_slice() {
            [ServerMessage::Accepted { .. }, ServerMessage::Error {
                chunk_index: Some(1),
                code,
                ..
            }] => assert_eq!(code, "broker_timeout"),
            other => panic!("unexpected replies {other:?}"),
        }
        // Chunk 0 is still awaited.
        assert_eq!(reg.analysis_count(), 1);
    }
}
