//! The engine's limit on the span of one variant (`MAX_VARIANT_SPAN`).

use std::path::Path;
use std::sync::OnceLock;

use super::*;
use crate::engine::input::{parse_input, Allele, InputError, Variant};
use crate::engine::predict::effects::Effects;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
    })
}

/// A VCF deletion of `bases` bases after the anchor at 21:25000000.
fn deletion(e: &Engine, bases: u64) -> Variant {
    let reference = e
        .genome()
        .sequence("21", 25_000_000, 25_000_000 + bases)
        .unwrap();
    Variant {
        input: String::new(),
        id: None,
        chrom: "21".into(),
        pos: 25_000_000,
        alternate: String::from_utf8(reference[..1].to_vec()).unwrap(),
        reference: String::from_utf8(reference).unwrap(),
    }
}

#[test]
fn a_variant_over_the_span_limit_is_too_large_and_one_at_it_is_annotated() {
    let e = engine();
    assert_eq!(e.max_variant_span(), DEFAULT_MAX_VARIANT_SPAN);
    // The anchor base is not counted: 10,000 deleted bases are within the default limit.
    assert!(e.annotate(&deletion(e, 10_000)).is_ok());
    let err = e.annotate(&deletion(e, 10_001)).unwrap_err();
    assert!(matches!(
        err,
        AnnotateError::TooLarge {
            span: 10_001,
            limit: 10_000
        }
    ));
    assert_eq!(
        err.to_string(),
        "variant spans 10001 bases, more than the limit of 10000 (MAX_VARIANT_SPAN)"
    );
}

#[test]
fn an_implied_reference_is_refused_before_it_is_read() {
    // HGVS names a range whose bases the parser would read and copy: 900 kb per variant
    // was the memory attack of issue #17.
    for input in [
        "21:g.25000000_25900000del",
        "21:g.25000000_25900000dup",
        "21:g.25000000_25900000inv",
        "21:g.25000000_25900000delinsA",
    ] {
        let err = parse_input(input, engine()).unwrap_err();
        assert_eq!(
            err,
            InputError::TooLarge {
                span: 900_001,
                limit: 10_000
            },
            "{input}"
        );
        assert_eq!(err.code(), "too_large");
    }
    let long = format!("21\t25000000\t.\tA\tA{}", "C".repeat(10_001));
    assert_eq!(
        parse_input(&long, engine()).unwrap_err().code(),
        "too_large"
    );
}

#[test]
fn the_limit_is_configurable() {
    let mut e = Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap();
    e.set_max_variant_span(100);
    assert!(e.annotate(&deletion(&e, 100)).is_ok());
    assert!(matches!(
        e.annotate(&deletion(&e, 101)),
        Err(AnnotateError::TooLarge {
            span: 101,
            limit: 100
        })
    ));
    assert_eq!(
        parse_input("21:g.25000001_25000101del", &e)
            .unwrap_err()
            .code(),
        "too_large"
    );
    // The hot path of the VCF writer asks the engine too.
    let allele = Allele::from_variant(&deletion(&e, 101));
    let mut out = Effects::default();
    assert!(matches!(
        e.annotate_allele("21", &allele, &mut out),
        Err(AnnotateError::TooLarge { .. })
    ));
}
