//! VEP JSON, streamed from the typed annotation into a reused byte buffer: no
//! `serde_json::Value`, integers through `itoa`, strings escaped exactly as `serde_json`
//! escapes them. Keys in the engine's order (what `annotate --format json` prints) or sorted
//! (what downloads and WebSocket frames carry, the bytes serde gives for the same annotation).

use crate::annotation::{Field, FieldValue, Fields, KeyOrder, VariantAnnotation};

/// What `serde_json` writes for each byte: 0 as is, `u` as `\u00XX`, else `\` + the byte.
const ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// `s` as a JSON string (quotes included), appended to `out`.
#[inline]
pub fn push_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut plain = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[plain..i]);
        out.push(b'\\');
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.push(escape);
        }
        plain = i + 1;
    }
    out.extend_from_slice(&bytes[plain..]);
    out.push(b'"');
}

/// The bytes [`push_str`] writes for `s` (quotes included): what a string costs in an event.
pub fn str_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match ESCAPE[usize::from(b)] {
            0 => 1,
            b'u' => 6,
            _ => 2,
        })
        .sum::<usize>()
}

/// `"key":` appended to `out`.
#[inline]
pub fn push_key(out: &mut Vec<u8>, key: &str) {
    push_str(out, key);
    out.push(b':');
}

#[inline]
pub fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

#[inline]
pub fn push_i64(out: &mut Vec<u8>, n: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// A list of strings as a JSON array.
pub fn push_strs<'a>(out: &mut Vec<u8>, items: impl IntoIterator<Item = &'a str>) {
    out.push(b'[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, s);
    }
    out.push(b']');
}

/// What serde writes for `value` (the rare nested objects: scores, sequence calls, pass-through
/// fields). Writing into a `Vec` cannot fail, and these types serialise without error.
fn push_serde(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    if let Err(e) = serde_json::to_writer(&mut *out, value) {
        // Unreachable for our types (string keys, no failing Serialize impl); never
        // silently drop a field: say so in the output.
        push_str(out, &format!("unserialisable field: {e}"));
    }
}

fn push_list<T: Fields>(out: &mut Vec<u8>, items: &[T], order: KeyOrder) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_object(out, item, order);
    }
    out.push(b']');
}

fn push_field(out: &mut Vec<u8>, field: Field<'_>, order: KeyOrder) {
    match field {
        Field::Extra(v) => push_serde(out, v),
        Field::Typed(v) => match v {
            FieldValue::Str(s) => push_str(out, s),
            FieldValue::U64(n) => push_u64(out, n),
            FieldValue::I64(n) => push_i64(out, n),
            FieldValue::Strs(items) => push_strs(out, items.iter().map(String::as_str)),
            FieldValue::Number(n) => push_serde(out, n),
            FieldValue::Transcripts(items) => push_list(out, items, order),
            FieldValue::Intergenic(items) => push_list(out, items, order),
            FieldValue::Score(s) => push_serde(out, s),
            FieldValue::Scores(s) => push_serde(out, &s),
            FieldValue::Sequence(s) => push_serde(out, s),
            FieldValue::Custom(c) => push_serde(out, c),
        },
    }
}

/// One object of an annotation type, appended to `out`.
pub fn push_object<T: Fields>(out: &mut Vec<u8>, value: &T, order: KeyOrder) {
    out.push(b'{');
    let mut first = true;
    let _ = value.visit(order, |key, field| {
        if !first {
            out.push(b',');
        }
        first = false;
        push_key(out, key);
        push_field(out, field, order);
        Ok::<(), std::convert::Infallible>(())
    });
    out.push(b'}');
}

/// One annotation as a JSON object, appended to `out`.
pub fn push_annotation(out: &mut Vec<u8>, a: &VariantAnnotation, order: KeyOrder) {
    push_object(out, a, order);
}

#[cfg(test)]
mod tests;
