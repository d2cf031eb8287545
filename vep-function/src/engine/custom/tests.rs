//! Custom sources on the test VCFs of `tests/data/custom` (ClinVar, gnomAD and dbSNP
//! conventions; SOURCE.md says where each value comes from), and the streaming cursor against
//! a fresh index look-up for every variant of a generated source.

use std::path::{Path, PathBuf};
use std::process::Command;

use contract::annotation::CustomAnnotations;
use contract::custom::SourceSpec;

use super::*;
use crate::engine::annotate::{AnnotateError, Engine};
use crate::engine::variant::Variant;

fn data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/custom")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn spec(file: &str, rest: &str) -> SourceSpec {
    format!("file={file},format=vcf,{rest}").parse().unwrap()
}

fn clinvar() -> SourceSpec {
    spec(
        &data("clinvar.vcf.gz"),
        "short_name=ClinVar,type=exact,coords=0,fields=CLNSIG%CLNREVSTAT%CLNDN",
    )
}

fn annotate(sources: &CustomSources, chrom: &str, pos: u64, r: &str, a: &str) -> CustomAnnotations {
    let mut out = CustomAnnotations::new();
    let allele = Allele::from_vcf(pos, r.as_bytes(), a.as_bytes());
    sources.annotate(chrom, &allele, &mut out).unwrap();
    out
}

#[test]
fn a_clinvar_record_matches_its_own_allele_only() {
    let sources = CustomSources::open(&[clinvar()]).unwrap();
    let got = annotate(&sources, "21", 25585733, "C", "T");
    let records = &got["ClinVar"];
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].name, "11236");
    assert_eq!(records[0].allele.as_deref(), Some("T"));
    assert_eq!(records[0].fields["CLNSIG"], "Pathogenic");
    assert!(
        !records[0].fields.contains_key("CLNREVSTAT"),
        "absent in the record"
    );
    assert_eq!(records[0].fields["FILTER"], ".");
    // Same position, another allele: no annotation at all.
    assert!(annotate(&sources, "21", 25585733, "C", "G").is_empty());
    // A contig the source does not have.
    assert!(annotate(&sources, "7", 100, "A", "G").is_empty());
}

#[test]
fn exact_and_overlap_differ_on_a_multi_allelic_record() {
    let dbsnp = data("dbsnp.vcf.gz");
    let exact =
        CustomSources::open(&[spec(&dbsnp, "short_name=dbSNP,type=exact,fields=VC")]).unwrap();
    let overlap =
        CustomSources::open(&[spec(&dbsnp, "short_name=dbSNP,type=overlap,fields=VC")]).unwrap();
    // An SNV inside the deleted T run: the record overlaps it but holds no such allele.
    assert!(annotate(&exact, "17", 43047107, "T", "A").is_empty());
    let got = annotate(&overlap, "17", 43047107, "T", "A");
    assert_eq!(got["dbSNP"][0].name, "rs886039902");
    assert_eq!(got["dbSNP"][0].allele, None);
    // The record's second ALT (CTTTTTT>CTT), written with the record's anchor.
    let got = annotate(&exact, "17", 43047105, "CTTTTTT", "CTT");
    assert_eq!(got["dbSNP"].len(), 1);
    assert_eq!(got["dbSNP"][0].allele.as_deref(), Some("TT"));
    assert_eq!(got["dbSNP"][0].fields["VC"], "DEL");
}

#[test]
fn contig_names_chr_and_refseq_accessions_are_aliases() {
    let gnomad = spec(
        &data("gnomad.vcf.gz"),
        "short_name=gnomAD,type=exact,fields=AF%AF_nfe",
    );
    let dbsnp = spec(&data("dbsnp.vcf.gz"), "short_name=dbSNP,type=exact");
    let sources = CustomSources::open(&[gnomad, dbsnp]).unwrap();
    let got = annotate(&sources, "21", 25585743, "A", "G");
    assert_eq!(got["gnomAD"][0].fields["AF"], "0.5481");
    assert_eq!(got["gnomAD"][0].fields["AF_nfe"], "0.4197");
    assert_eq!(got["dbSNP"][0].name, "rs699");
    assert_eq!(
        sources
            .columns()
            .names()
            .into_iter()
            .map(|(n, _)| n)
            .collect::<Vec<_>>(),
        ["gnomAD", "gnomAD_AF", "gnomAD_AF_nfe", "dbSNP"]
    );
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vep-custom-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_missing_file_or_index_is_a_typed_error_at_start() {
    let dir = scratch("missing");
    let copy = dir.join("clinvar.vcf.gz");
    std::fs::copy(data("clinvar.vcf.gz"), &copy).unwrap();
    let err =
        CustomSources::open(&[spec(&copy.to_string_lossy(), "short_name=ClinVar")]).unwrap_err();
    assert!(matches!(err, CustomError::NoIndex { .. }), "{err}");
    assert_eq!(err.code(), "custom_source_unavailable");
    assert!(err.to_string().contains("tabix -p vcf"), "{err}");
    let gone = dir.join("gone.vcf.gz");
    let err = CustomSources::open(&[spec(&gone.to_string_lossy(), "short_name=X")]).unwrap_err();
    assert!(matches!(err, CustomError::Missing { .. }), "{err}");
    // Not bgzipped: a plain VCF with the real file's index beside it.
    let plain = dir.join("plain.vcf.gz");
    std::fs::write(
        &plain,
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
    )
    .unwrap();
    std::fs::copy(data("clinvar.vcf.gz.tbi"), dir.join("plain.vcf.gz.tbi")).unwrap();
    let err = CustomSources::open(&[spec(&plain.to_string_lossy(), "short_name=P")]).unwrap_err();
    assert!(matches!(err, CustomError::Unreadable { .. }), "{err}");
    // Two sources under one name.
    let err = CustomSources::open(&[clinvar(), clinvar()]).unwrap_err();
    assert_eq!(err.code(), "invalid_custom_source");
    std::fs::remove_dir_all(dir).unwrap();
}

fn engine() -> Engine {
    Engine::load_bundled(&Path::new(env!("CARGO_MANIFEST_DIR")).join("data")).unwrap()
}

fn variant(chrom: &str, pos: u64, r: &str, a: &str) -> Variant {
    Variant {
        input: format!("{chrom}\t{pos}\t.\t{r}\t{a}"),
        id: None,
        chrom: chrom.into(),
        pos,
        reference: r.into(),
        alternate: a.into(),
    }
}

#[test]
fn an_unreadable_record_fails_only_the_variants_near_it() {
    let mut engine = engine();
    let broken = spec(
        &data("broken.vcf.gz"),
        "short_name=ClinVar,type=exact,fields=CLNSIG",
    );
    engine.set_custom_sources(CustomSources::open(&[broken]).unwrap());
    let ok = engine.annotate(&variant("21", 25585733, "C", "T")).unwrap();
    assert_eq!(
        ok.custom_annotations["ClinVar"][0].fields["CLNSIG"],
        "Pathogenic"
    );
    let err = engine
        .annotate(&variant("21", 25600000, "G", "A"))
        .unwrap_err();
    let AnnotateError::Custom(e) = &err else {
        panic!("{err}")
    };
    assert_eq!(e.code(), "custom_source_unreadable");
    assert!(err.to_string().contains("21:25599999-25600001"), "{err}");
    // Read again from the index afterwards: the variant before it still works.
    let again = engine.annotate(&variant("21", 25585733, "C", "T")).unwrap();
    assert_eq!(again.custom_annotations, ok.custom_annotations);
}

#[test]
fn the_engine_s_annotation_carries_the_sources_records() {
    let mut engine = engine();
    engine.set_custom_sources(CustomSources::open(&[clinvar()]).unwrap());
    let a = engine.annotate(&variant("21", 25585733, "C", "T")).unwrap();
    assert_eq!(a.custom_annotations["ClinVar"][0].name, "11236");
    let none = engine.annotate(&variant("21", 25585733, "C", "G")).unwrap();
    assert!(none.custom_annotations.is_empty());
}

/// A source over 60 kb of the chr21 region (a record every 13 bases on average: SNVs, MNVs,
/// multi-allelic records, deletions up to 40 bases), bgzipped and indexed by htslib's own
/// `bgzip` and `tabix`.
fn generated_source(dir: &Path) -> String {
    let reference = engine();
    let mut text =
        String::from("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mut pos = 25_560_000;
    let mut i = 0;
    while pos < 25_620_000 {
        let len = match next(10) {
            0 => 2 + next(40),
            1 => 2,
            _ => 1,
        };
        let r = String::from_utf8(
            reference
                .genome()
                .sequence("21", pos, pos + len - 1)
                .unwrap(),
        )
        .unwrap();
        let first = &r[..1];
        let other = if first == "A" { "G" } else { "A" };
        let alts = match (len, next(3)) {
            (1, 0) => format!("{other},T"),
            (1, _) => other.to_string(),
            (_, 0) => format!("{first},{first}{}", &r[2..]),
            _ => first.to_string(),
        };
        text.push_str(&format!(
            "chr21\t{pos}\tid{i}\t{r}\t{alts}\t.\tPASS\tAF={}\n",
            next(1000)
        ));
        i += 1;
        pos += 1 + next(25);
    }
    let vcf = dir.join("dense.vcf");
    std::fs::write(&vcf, text).unwrap();
    let run = |cmd: &mut Command| {
        let status = cmd.status().unwrap_or_else(|e| {
            panic!("{cmd:?}: {e} (tests/custom/setup.sh installs htslib's tools)")
        });
        assert!(status.success(), "{cmd:?}");
    };
    run(Command::new("bgzip").arg("-f").arg(&vcf));
    let gz = dir.join("dense.vcf.gz");
    run(Command::new("tabix").args(["-f", "-p", "vcf"]).arg(&gz));
    gz.to_string_lossy().into_owned()
}

#[test]
fn streaming_answers_what_a_fresh_index_look_up_answers() {
    let dir = scratch("dense");
    let file = generated_source(&dir);
    for kind in ["exact", "overlap"] {
        let spec = spec(&file, &format!("short_name=D,type={kind},fields=AF"));
        let streaming = CustomSources::open(std::slice::from_ref(&spec)).unwrap();
        let fresh = CustomSources::open(std::slice::from_ref(&spec)).unwrap();
        // Sorted variants, then a jump back, then far jumps, as a second pass would.
        let mut positions: Vec<u64> = (25_559_990..25_620_010).step_by(3).collect();
        positions.extend([25_600_000, 25_561_000, 25_619_000, 25_570_000]);
        positions.extend((25_590_000..25_590_300).step_by(2));
        let reference = engine();
        let (mut asked, mut compared, mut matched) = (0, 0, 0);
        for pos in positions {
            let r = reference.genome().sequence("21", pos, pos + 2).unwrap();
            let r = String::from_utf8(r).unwrap();
            for (vr, va) in [
                (&r[..1], if &r[..1] == "A" { "G" } else { "A" }),
                (&r[..], &r[..1]),
                (&r[..1], "T"),
            ] {
                if vr == va {
                    continue;
                }
                let got = annotate(&streaming, "21", pos, vr, va);
                asked += 1;
                matched += usize::from(!got.is_empty());
                // Every 7th answer checked against a cursor placed by the index for it.
                if asked % 7 == 0 {
                    fresh.forget_places();
                    assert_eq!(
                        got,
                        annotate(&fresh, "21", pos, vr, va),
                        "{kind} 21:{pos} {vr}>{va}"
                    );
                    compared += 1;
                }
            }
        }
        assert!(
            compared > 7_000 && matched > 1_000,
            "{kind}: {compared} compared, {matched} matched"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
