use serde_json::json;

use super::*;
use crate::events::{Annotated, Failed};
use crate::protocol::VariantError;

fn annotated(id: &str, session: &str, analysis: &str, chunk: (u64, u64)) -> Inbound {
    Inbound {
        source: "urn:genomics:vep-function".into(),
        id: id.into(),
        session_id: session.into(),
        analysis_id: analysis.into(),
        chunk_index: chunk.0,
        chunk_count: chunk.1,
        kind: InboundKind::Annotated(Annotated {
            annotations: vec![json!({"input": "21 25585733 . C T", "input_index": 0})],
            errors: vec![VariantError {
                input: "zz".into(),
                input_index: 1,
                code: "unparseable".into(),
                message: "not a variant".into(),
            }],
        }),
    }
}

fn kinds(batch: &[ServerMessage]) -> Vec<&'static str> {
    batch
        .iter()
        .map(|m| match m {
            ServerMessage::Result { .. } => "result",
            ServerMessage::Complete { .. } => "complete",
            ServerMessage::Error { .. } => "error",
            _ => "other",
        })
        .collect()
}

#[test]
fn single_chunk_result_is_followed_by_complete_with_counts() {
    let reg = Registry::new(10, 4);
    let (sid, mut rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 1).expect("begin");
    assert_eq!(
        reg.deliver(annotated("e1", &sid, "a1", (0, 1))),
        Routed::Sent { completed: true }
    );
    let batch = rx.try_recv().expect("queued");
    assert_eq!(kinds(&batch), vec!["result", "complete"]);
    assert_eq!(
        batch[1],
        ServerMessage::Complete {
            analysis_id: "a1".into(),
            request_id: Some("r1".into()),
            annotated: 1,
            failed: 1
        }
    );
    assert_eq!(reg.analysis_count(), 0);
}

#[test]
fn complete_is_sent_exactly_once_after_the_last_chunk() {
    let reg = Registry::new(10, 8);
    let (sid, mut rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
    assert_eq!(
        reg.deliver(annotated("e2", &sid, "a1", (1, 2))),
        Routed::Sent { completed: false }
    );
    assert_eq!(kinds(&rx.try_recv().expect("first")), vec!["result"]);
    assert_eq!(
        reg.deliver(annotated("e1", &sid, "a1", (0, 2))),
        Routed::Sent { completed: true }
    );
    assert_eq!(
        kinds(&rx.try_recv().expect("second")),
        vec!["result", "complete"]
    );
    // A late chunk with a new event id finds no analysis: nothing more is sent.
    assert_eq!(
        reg.deliver(annotated("e3", &sid, "a1", (0, 2))),
        Routed::UnknownAnalysis
    );
    assert!(rx.try_recv().is_err());
}

#[test]
fn redelivered_event_is_a_duplicate_and_sends_nothing() {
    let reg = Registry::new(10, 8);
    let (sid, mut rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
    reg.deliver(annotated("e1", &sid, "a1", (0, 2)));
    rx.try_recv().expect("first delivery");
    assert_eq!(
        reg.deliver(annotated("e1", &sid, "a1", (0, 2))),
        Routed::Duplicate
    );
    assert!(rx.try_recv().is_err());
}

#[test]
fn same_chunk_under_a_new_id_is_rejected_not_counted() {
    let reg = Registry::new(10, 8);
    let (sid, _rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
    reg.deliver(annotated("e1", &sid, "a1", (0, 2)));
    assert_eq!(
        reg.deliver(annotated("e9", &sid, "a1", (0, 2))),
        Routed::Rejected(ChunkError::Duplicate(0))
    );
}

#[test]
fn full_queue_leaves_bookkeeping_untouched_so_a_retry_succeeds() {
    let reg = Registry::new(10, 1);
    let (sid, mut rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
    reg.begin_analysis(&sid, "a2", "r2", 1).expect("begin");
    assert_eq!(
        reg.deliver(annotated("e1", &sid, "a1", (0, 2))),
        Routed::Sent { completed: false }
    );
    assert_eq!(
        reg.deliver(annotated("e2", &sid, "a2", (0, 1))),
        Routed::QueueFull
    );
    rx.try_recv().expect("drain");
    assert_eq!(
        reg.deliver(annotated("e2", &sid, "a2", (0, 1))),
        Routed::Sent { completed: true }
    );
}

#[test]
fn unknown_session_is_not_local() {
    let reg = Registry::new(10, 1);
    assert_eq!(
        reg.deliver(annotated("e1", "elsewhere", "a1", (0, 1))),
        Routed::NotLocal
    );
}

#[test]
fn failed_chunk_counts_its_variants_as_failed() {
    let reg = Registry::new(10, 4);
    let (sid, mut rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 1).expect("begin");
    let mut ev = annotated("e1", &sid, "a1", (0, 1));
    ev.kind = InboundKind::Failed(Failed {
        variant_count: 5,
        code: "backend_unavailable".into(),
        message: "down".into(),
    });
    assert_eq!(reg.deliver(ev), Routed::Sent { completed: true });
    let batch = rx.try_recv().expect("queued");
    assert_eq!(kinds(&batch), vec!["error", "complete"]);
    assert!(matches!(
        batch[1],
        ServerMessage::Complete {
            annotated: 0,
            failed: 5,
            ..
        }
    ));
}

#[test]
fn session_and_analysis_limits_are_enforced() {
    let reg = Registry::new(1, 1);
    let (sid, _rx) = reg.register_session().expect("room");
    assert_eq!(
        reg.register_session().map(|(id, _)| id),
        Err(RegistryError::TooManySessions(1))
    );
    for i in 0..MAX_ANALYSES_PER_SESSION {
        reg.begin_analysis(&sid, &format!("a{i}"), "r", 1)
            .expect("within limit");
    }
    assert_eq!(
        reg.begin_analysis(&sid, "extra", "r", 1),
        Err(RegistryError::TooManyAnalyses)
    );
    reg.abandon_analysis("a0");
    reg.begin_analysis(&sid, "extra", "r", 1)
        .expect("room after abandon");
}

#[test]
fn unregistering_a_session_drops_its_analyses() {
    let reg = Registry::new(2, 1);
    let (sid, _rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 1).expect("begin");
    reg.unregister_session(&sid);
    assert_eq!((reg.session_count(), reg.analysis_count()), (0, 0));
}

#[test]
fn locally_failed_chunks_complete_the_analysis() {
    let reg = Registry::new(2, 4);
    let (sid, _rx) = reg.register_session().expect("room");
    reg.begin_analysis(&sid, "a1", "r1", 2).expect("begin");
    let msgs = reg.fail_chunks("a1", &[(0, 3), (1, 2)], "broker_unavailable", "503");
    assert_eq!(kinds(&msgs), vec!["error", "error", "complete"]);
    assert!(matches!(
        msgs[2],
        ServerMessage::Complete {
            annotated: 0,
            failed: 5,
            ..
        }
    ));
    assert_eq!(reg.analysis_count(), 0);
}
