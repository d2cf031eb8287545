//! Splitting one chunk's result into parts that each fit the event byte budget (issue #16.1).
//! A part is a contiguous range of the chunk's inputs; every input is in exactly one part.
//! Inputs are added in order until the next would take the part over its budget; the part is
//! then closed and the input starts the next one. An input whose annotations alone do not fit
//! an empty part gets a `result_too_large` error instead: reported, never dropped.

use contract::annotation::VariantAnnotation;
use contract::event::{Annotated, VariantError};
use contract::wire::{PartHeader, PartWriter};

pub const RESULT_TOO_LARGE: &str = "result_too_large";
const TOO_LARGE_MESSAGE: &str = "the annotations of this variant exceed the event size budget \
    (EVENT_MAX_BYTES) on their own: no event can carry them";

/// One part: the inputs `first_index .. first_index + variant_count` and its encoded data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub first_index: u64,
    pub variant_count: u64,
    pub data: Vec<u8>,
}

#[derive(Debug, Default)]
pub struct Packed {
    pub parts: Vec<Part>,
    /// Analysis indexes that got `result_too_large`.
    pub too_large: Vec<u64>,
}

/// The annotations and errors of each input of the chunk, by offset.
struct ByInput<'a> {
    annotations: Vec<Vec<&'a VariantAnnotation>>,
    errors: Vec<Vec<&'a VariantError>>,
}

impl<'a> ByInput<'a> {
    /// Writes every entry of the input at `offset`.
    fn push(&self, w: &mut PartWriter<'a>, offset: usize) {
        for a in &self.annotations[offset] {
            w.push_annotation(a);
        }
        for e in &self.errors[offset] {
            w.push_error(e);
        }
    }
}

fn by_input(chunk: &Annotated) -> ByInput<'_> {
    let n = chunk.variant_count as usize;
    let mut out = ByInput {
        annotations: vec![Vec::new(); n],
        errors: vec![Vec::new(); n],
    };
    let offset = |index: u64| {
        index
            .checked_sub(chunk.first_index)
            .map(|o| o as usize)
            .filter(|&o| o < n)
    };
    for a in &chunk.annotations {
        match a.input_index.and_then(offset) {
            Some(o) => out.annotations[o].push(a),
            None => tracing::error!("an annotation outside its chunk was not sent"),
        }
    }
    for e in &chunk.errors {
        match offset(e.input_index) {
            Some(o) => out.errors[o].push(e),
            None => tracing::error!("an error outside its chunk was not sent"),
        }
    }
    out
}

/// Splits `chunk` (the whole result of one submitted chunk) into parts whose data is at most
/// `max_data` bytes each (part headers included).
pub fn pack<'a>(chunk: &'a Annotated, max_data: usize) -> Packed {
    let inputs = by_input(chunk);
    let annotator = PartHeader::annotator_json(&chunk.annotator);
    let mut header = PartHeader {
        analysis_id: &chunk.analysis_id,
        session_id: &chunk.session_id,
        chunk_index: chunk.chunk_index,
        chunk_count: chunk.chunk_count,
        first_index: chunk.first_index,
        variant_count: chunk.variant_count,
        part_index: 0,
        part_count: 1,
        annotator,
    };
    let capacity = max_data.saturating_sub(header.max_len());
    let mut packed = Packed::default();
    let mut ranges: Vec<(u64, u64, PartWriter<'a>)> = Vec::new();
    let mut writer = PartWriter::default();
    let (mut start, mut count) = (chunk.first_index, 0u64);
    let push = |w: &mut PartWriter<'a>, offset: usize| inputs.push(w, offset);
    for offset in 0..chunk.variant_count as usize {
        let index = chunk.first_index + offset as u64;
        let mark = writer.mark();
        push(&mut writer, offset);
        if writer.len() > capacity {
            if count > 0 {
                writer.rollback(mark);
                ranges.push((start, count, std::mem::take(&mut writer)));
                (start, count) = (index, 0);
                push(&mut writer, offset);
            }
            if writer.len() > capacity {
                // Alone in an empty part and still too big.
                writer = PartWriter::default();
                let input = inputs.annotations[offset]
                    .first()
                    .map(|a| a.input.as_str())
                    .or_else(|| inputs.errors[offset].first().map(|e| e.input.as_str()))
                    .unwrap_or_default();
                writer.push_error_parts(index, RESULT_TOO_LARGE, input, TOO_LARGE_MESSAGE, None);
                packed.too_large.push(index);
            }
        }
        count += 1;
    }
    if count > 0 {
        ranges.push((start, count, writer));
    }
    header.part_count = ranges.len() as u32;
    for (i, (first_index, variant_count, writer)) in ranges.into_iter().enumerate() {
        header.part_index = i as u32;
        header.first_index = first_index;
        header.variant_count = variant_count;
        packed.parts.push(Part {
            first_index,
            variant_count,
            data: writer.finish(&header),
        });
    }
    packed
}

#[cfg(test)]
mod tests;
