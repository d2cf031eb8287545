//! One part of an annotated chunk on the wire: its header, string table and entries. The
//! function fills a [`PartWriter`] input by input (rolling back the input that would take the
//! part over its byte budget); the gateway [`decode`]s a part into the contract's
//! [`Annotated`].

use super::codec::{varint_len, Decoder, Encoder, Mark, WireError, WireObject};
use crate::annotation::VariantAnnotation;
use crate::event::{Annotated, AnnotatorInfo, VariantError};

/// `GVA` and the format's version.
pub const MAGIC: [u8; 4] = *b"GVA\x02";

const ANNOTATION: u8 = 0;
const ERROR: u8 = 1;
/// The longest varint (a u64).
const MAX_VARINT: usize = 10;

/// The facts a part's data begins with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeader<'a> {
    pub analysis_id: &'a str,
    pub session_id: &'a str,
    pub chunk_index: u32,
    pub chunk_count: u32,
    /// Analysis index of the part's first input; its inputs are a contiguous range.
    pub first_index: u64,
    pub variant_count: u64,
    pub part_index: u32,
    pub part_count: u32,
    /// The annotator's description (`AnnotatorInfo`) as JSON, written once per chunk.
    pub annotator: String,
}

impl<'a> PartHeader<'a> {
    pub fn annotator_json(info: &AnnotatorInfo) -> String {
        // A plain serde derive with string keys: it cannot fail.
        serde_json::to_string(info).unwrap_or_default()
    }

    fn write(&self, out: &mut Vec<u8>) {
        let mut e = Encoder::default();
        e.str_inline(self.analysis_id);
        e.str_inline(self.session_id);
        for n in [
            u64::from(self.chunk_index),
            u64::from(self.chunk_count),
            self.first_index,
            self.variant_count,
            u64::from(self.part_index),
            u64::from(self.part_count),
        ] {
            e.u64(n);
        }
        e.str_inline(&self.annotator);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&e.body);
    }

    /// The header's size whatever its numbers become (each at its longest): what a part
    /// writer reserves for it while the part is being filled.
    pub fn max_len(&self) -> usize {
        let text = |s: &str| varint_len(s.len() as u64) + s.len();
        MAGIC.len()
            + text(self.analysis_id)
            + text(self.session_id)
            + text(&self.annotator)
            + 6 * MAX_VARINT
    }
}

/// A part being filled.
#[derive(Default)]
pub struct PartWriter<'a> {
    enc: Encoder<'a>,
    entries: u64,
}

/// A point to go back to (see [`PartWriter::rollback`]).
#[derive(Debug, Clone, Copy)]
pub struct PartMark {
    enc: Mark,
    entries: u64,
}

impl<'a> PartWriter<'a> {
    pub fn push_annotation(&mut self, a: &'a VariantAnnotation) {
        self.enc.byte(ANNOTATION);
        a.put_object(&mut self.enc);
        self.entries += 1;
    }

    pub fn push_error(&mut self, e: &'a VariantError) {
        self.push_error_parts(
            e.input_index,
            &e.code,
            &e.input,
            &e.message,
            e.allele.as_deref(),
        );
    }

    /// An error from its fields (one the caller makes up while packing).
    pub fn push_error_parts(
        &mut self,
        input_index: u64,
        code: &'a str,
        input: &'a str,
        message: &'a str,
        allele: Option<&'a str>,
    ) {
        self.enc.byte(ERROR);
        self.enc.u64(input_index);
        self.enc.str_ref(code);
        self.enc.str_inline(input);
        self.enc.str_ref(message);
        match allele {
            None => self.enc.byte(0),
            Some(allele) => {
                self.enc.byte(1);
                self.enc.str_ref(allele);
            }
        }
        self.entries += 1;
    }

    pub fn mark(&self) -> PartMark {
        PartMark {
            enc: self.enc.mark(),
            entries: self.entries,
        }
    }

    /// Forgets the entries pushed since `mark` (and the strings only they used).
    pub fn rollback(&mut self, mark: PartMark) {
        self.enc.rollback(mark.enc);
        self.entries = mark.entries;
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The size of the data so far, header excepted.
    pub fn len(&self) -> usize {
        self.enc.len() + varint_len(self.entries)
    }

    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The part's data: header, string table, entries.
    pub fn finish(self, header: &PartHeader<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(header.max_len() + self.len());
        header.write(&mut out);
        self.enc.write_table(&mut out);
        let mut count = Encoder::default();
        count.u64(self.entries);
        out.extend_from_slice(&count.body);
        out.extend_from_slice(&self.enc.body);
        out
    }
}

/// All of `annotated` as one part (its own part fields as they are): the function's inline
/// reply, and tests.
pub fn encode(annotated: &Annotated) -> Vec<u8> {
    let mut w = PartWriter::default();
    for a in &annotated.annotations {
        w.push_annotation(a);
    }
    for e in &annotated.errors {
        w.push_error(e);
    }
    w.finish(&PartHeader {
        analysis_id: &annotated.analysis_id,
        session_id: &annotated.session_id,
        chunk_index: annotated.chunk_index,
        chunk_count: annotated.chunk_count,
        first_index: annotated.first_index,
        variant_count: annotated.variant_count,
        part_index: annotated.part_index,
        part_count: annotated.part_count,
        annotator: PartHeader::annotator_json(&annotated.annotator),
    })
}

fn u32_at(at: usize, n: u64) -> Result<u32, WireError> {
    u32::try_from(n).map_err(|_| WireError::Range {
        at,
        value: i128::from(n),
    })
}

/// The header of a part as read: ids, the six numbers, and the annotator's JSON.
struct Head<'d> {
    analysis_id: &'d str,
    session_id: &'d str,
    chunk_index: u32,
    chunk_count: u32,
    first_index: u64,
    variant_count: u64,
    part_index: u32,
    part_count: u32,
    annotator: &'d str,
}

/// Magic, header and string table; the decoder then stands at the entries.
fn read_head<'d>(d: &mut Decoder<'d>) -> Result<Head<'d>, WireError> {
    if d.take(MAGIC.len()).ok() != Some(&MAGIC[..]) {
        return Err(WireError::Magic);
    }
    let analysis_id = d.str_inline()?;
    let session_id = d.str_inline()?;
    let mut numbers = [0u64; 6];
    let mut at = [0usize; 6];
    for (n, at) in numbers.iter_mut().zip(at.iter_mut()) {
        *at = d.position();
        *n = d.u64()?;
    }
    let annotator = d.str_inline()?;
    d.read_table()?;
    Ok(Head {
        analysis_id,
        session_id,
        chunk_index: u32_at(at[0], numbers[0])?,
        chunk_count: u32_at(at[1], numbers[1])?,
        first_index: numbers[2],
        variant_count: numbers[3],
        part_index: u32_at(at[4], numbers[4])?,
        part_count: u32_at(at[5], numbers[5])?,
        annotator,
    })
}

/// An error entry's fields.
fn read_error(d: &mut Decoder<'_>) -> Result<VariantError, WireError> {
    let input_index = d.u64()?;
    let code = d.str_copied()?.to_owned();
    let input = d.str_inline()?.to_owned();
    let message = d.str_copied()?.to_owned();
    let allele = match d.byte()? {
        0 => None,
        1 => Some(d.str_copied()?.to_owned()),
        tag => {
            return Err(WireError::Tag {
                at: d.position() - 1,
                tag,
            })
        }
    };
    Ok(VariantError {
        allele,
        code,
        input,
        input_index,
        message,
    })
}

/// Reads one part. Annotations and errors keep their order; their indexes are not checked
/// here (the gateway checks them against the part's range and the chunk).
pub fn decode(bytes: &[u8]) -> Result<Annotated, WireError> {
    let mut d = Decoder::new(bytes);
    let head = read_head(&mut d)?;
    let annotator = serde_json::from_str(head.annotator)
        .map_err(|e| WireError::Json(format!("annotator: {e}")))?;
    let n = d.count()?;
    // No reservation from the count: entries are charged to the budget as they are built.
    let mut annotations = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..n {
        let at = d.position();
        match d.byte()? {
            ANNOTATION => {
                d.charge(std::mem::size_of::<VariantAnnotation>())?;
                annotations.push(VariantAnnotation::get_object(&mut d)?)
            }
            ERROR => {
                d.charge(std::mem::size_of::<VariantError>())?;
                errors.push(read_error(&mut d)?)
            }
            tag => return Err(WireError::Tag { at, tag }),
        }
    }
    if d.remaining() > 0 {
        return Err(WireError::Trailing(d.remaining()));
    }
    Ok(Annotated {
        analysis_id: head.analysis_id.to_owned(),
        annotations,
        annotator,
        chunk_count: head.chunk_count,
        chunk_index: head.chunk_index,
        errors,
        first_index: head.first_index,
        part_count: head.part_count,
        part_index: head.part_index,
        session_id: head.session_id.to_owned(),
        variant_count: head.variant_count,
    })
}

/// [`decode`] into `into`, reusing its annotations' strings and lists (a download renders
/// part after part through one buffer); on an error `into` holds a partial part.
pub fn decode_into(bytes: &[u8], into: &mut Annotated) -> Result<(), WireError> {
    let mut d = Decoder::new(bytes);
    let head = read_head(&mut d)?;
    into.annotator = serde_json::from_str(head.annotator)
        .map_err(|e| WireError::Json(format!("annotator: {e}")))?;
    head.analysis_id.clone_into(&mut into.analysis_id);
    head.session_id.clone_into(&mut into.session_id);
    (into.chunk_index, into.chunk_count) = (head.chunk_index, head.chunk_count);
    (into.first_index, into.variant_count) = (head.first_index, head.variant_count);
    (into.part_index, into.part_count) = (head.part_index, head.part_count);
    into.errors.clear();
    let n = d.count()?;
    let mut used = 0;
    for _ in 0..n {
        let at = d.position();
        match d.byte()? {
            ANNOTATION => {
                d.charge(std::mem::size_of::<VariantAnnotation>())?;
                match into.annotations.get_mut(used) {
                    Some(a) => a.get_object_into(&mut d)?,
                    None => into
                        .annotations
                        .push(VariantAnnotation::get_object(&mut d)?),
                }
                used += 1;
            }
            ERROR => {
                d.charge(std::mem::size_of::<VariantError>())?;
                into.errors.push(read_error(&mut d)?)
            }
            tag => return Err(WireError::Tag { at, tag }),
        }
    }
    into.annotations.truncate(used);
    if d.remaining() > 0 {
        return Err(WireError::Trailing(d.remaining()));
    }
    Ok(())
}

/// What the gateway counts a part by, read without building its annotations: the header and,
/// per entry in order, its input index and whether it is an annotation (else an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned {
    pub analysis_id: String,
    pub session_id: String,
    pub chunk_index: u32,
    pub chunk_count: u32,
    pub first_index: u64,
    pub variant_count: u64,
    pub part_index: u32,
    pub part_count: u32,
    /// (input index, annotation?) of each entry; an annotation without an index has `None`.
    pub entries: Vec<(Option<u64>, bool)>,
}

/// Passes over a part as [`decode`] reads it (the same checks of structure and references),
/// keeping only what [`Scanned`] holds.
pub fn scan(bytes: &[u8]) -> Result<Scanned, WireError> {
    let mut d = Decoder::new(bytes);
    let head = read_head(&mut d)?;
    let n = d.count()?;
    let mut entries = Vec::new();
    for _ in 0..n {
        let at = d.position();
        match d.byte()? {
            ANNOTATION => entries.push((VariantAnnotation::skip_object(&mut d)?, true)),
            ERROR => {
                let index = d.u64()?;
                d.str_ref()?;
                d.skip_inline()?;
                d.str_ref()?;
                match d.byte()? {
                    0 => {}
                    1 => {
                        d.str_ref()?;
                    }
                    tag => {
                        return Err(WireError::Tag {
                            at: d.position() - 1,
                            tag,
                        })
                    }
                }
                entries.push((Some(index), false));
            }
            tag => return Err(WireError::Tag { at, tag }),
        }
    }
    if d.remaining() > 0 {
        return Err(WireError::Trailing(d.remaining()));
    }
    Ok(Scanned {
        analysis_id: head.analysis_id.to_owned(),
        session_id: head.session_id.to_owned(),
        chunk_index: head.chunk_index,
        chunk_count: head.chunk_count,
        first_index: head.first_index,
        variant_count: head.variant_count,
        part_index: head.part_index,
        part_count: head.part_count,
        entries,
    })
}
