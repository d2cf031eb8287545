//! Signatures: what they cover, what they refuse, and where the key comes from.

use std::collections::HashMap;

use cloudevents::{AttributesWriter, EventBuilder, EventBuilderV10};

use super::*;
use crate::event::{TYPE_ANNOTATED, TYPE_SUBMITTED};

fn key() -> Signing {
    Signing::Key(SigningKey::from_bytes(&[7u8; 32], Path::new("test")).unwrap())
}

fn event(ty: &str, data: &[u8]) -> Event {
    EventBuilderV10::new()
        .id("e-1")
        .ty(ty)
        .source("urn:genomics:vep-function")
        .data("application/octet-stream", data.to_vec())
        .extension(EXT_SESSION, "s-1")
        .extension(EXT_ANALYSIS, "a-1")
        .extension(EXT_PARTITION, "a-1:0")
        .build()
        .unwrap()
}

#[test]
fn a_signed_event_verifies_and_any_covered_change_breaks_it() {
    let signing = key();
    let mut ev = event(TYPE_ANNOTATED, b"data");
    signing.sign(&mut ev);
    assert_eq!(signing.verify(&ev), Ok(()));
    let signature = ev.extension(EXT_SIGNATURE).unwrap().to_string();
    assert!(
        signature.starts_with("v1=") && signature.len() == 67,
        "{signature}"
    );

    let tampered: Vec<fn(&mut Event)> = vec![
        |e| {
            e.set_data("application/octet-stream", b"datA".to_vec());
        },
        |e| {
            e.set_id("e-2");
        },
        |e| {
            e.set_source("urn:other");
        },
        |e| {
            e.set_extension(EXT_SESSION, "s-2");
        },
        |e| {
            e.set_extension(EXT_ANALYSIS, "a-2");
        },
        |e| {
            e.set_extension(EXT_PARTITION, "a-1:1");
        },
        |e| {
            e.set_datacontenttype(Some("application/json"));
        },
        // Domain separation: the same content signed as one type is no signature of another.
        |e| {
            e.set_type(TYPE_SUBMITTED);
        },
    ];
    for change in tampered {
        let mut copy = ev.clone();
        change(&mut copy);
        assert_eq!(signing.verify(&copy), Err(SignatureError::Mismatch));
    }
}

#[test]
fn unsigned_malformed_and_foreign_signatures_are_refused_with_their_status() {
    let signing = key();
    let ev = event(TYPE_ANNOTATED, b"data");
    assert_eq!(signing.verify(&ev), Err(SignatureError::Missing));
    assert_eq!(SignatureError::Missing.status(), 401);
    let mut bad = ev.clone();
    bad.set_extension(EXT_SIGNATURE, "v1=zz");
    assert_eq!(signing.verify(&bad), Err(SignatureError::Malformed));
    assert_eq!(SignatureError::Malformed.status(), 403);
    let other = Signing::Key(SigningKey::from_bytes(&[8u8; 32], Path::new("t")).unwrap());
    let mut foreign = ev.clone();
    other.sign(&mut foreign);
    assert_eq!(signing.verify(&foreign), Err(SignatureError::Mismatch));
    assert_eq!(SignatureError::Mismatch.code(), "invalid_signature");
}

#[test]
fn insecure_mode_neither_signs_nor_checks() {
    let mut ev = event(TYPE_ANNOTATED, b"x");
    Signing::Insecure.sign(&mut ev);
    assert!(ev.extension(EXT_SIGNATURE).is_none());
    assert_eq!(Signing::Insecure.verify(&ev), Ok(()));
}

#[test]
fn the_key_comes_from_its_file_and_no_key_is_an_error_unless_insecure_is_asked() {
    let dir = std::env::temp_dir().join(format!("signing-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("key");
    std::fs::write(&file, format!("{}\n", "k".repeat(40))).unwrap();
    let path = file.to_string_lossy().into_owned();
    let from_file = Signing::from_source(&HashMap::from([(KEY_FILE, path.as_str())])).unwrap();
    let direct = SigningKey::from_bytes("k".repeat(40).as_bytes(), &file).unwrap();
    assert_eq!(from_file, Signing::Key(direct));
    assert!(
        !format!("{from_file:?}").contains("kkkk"),
        "the key is never printed"
    );

    std::fs::write(&file, "short").unwrap();
    let err = Signing::from_source(&HashMap::from([(KEY_FILE, path.as_str())])).unwrap_err();
    assert!(matches!(err, KeyError::TooShort { len: 5, .. }), "{err}");
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(
        Signing::from_source(&HashMap::<&str, &str>::new()),
        Err(KeyError::Missing)
    );
    assert_eq!(
        Signing::from_source(&HashMap::from([(INSECURE, "true")])),
        Ok(Signing::Insecure)
    );
    assert!(matches!(
        Signing::from_source(&HashMap::from([(INSECURE, "yes")])),
        Err(KeyError::InvalidFlag(_))
    ));
}
