//! The primitives of the wire format: varints, strings inline or through the part's string
//! table, and how each field type of the annotation is written ([`Wire`]).

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;

use crate::annotation::{
    CalledFromSequence, CustomAnnotation, CustomAnnotations, IntergenicConsequence, ModelScore,
    TranscriptConsequence,
};

/// Why bytes are not a valid part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the data does not start with the v2 magic bytes")]
    Magic,
    #[error("the data ends inside a value (at byte {0})")]
    Truncated(usize),
    #[error("a varint at byte {0} is longer than 64 bits")]
    Varint(usize),
    #[error("a string at byte {0} is not UTF-8")]
    Utf8(usize),
    #[error("string reference {index} is outside the table of {len}")]
    Reference { index: u64, len: usize },
    #[error("a count at byte {at} ({count}) exceeds the bytes left")]
    Count { at: usize, count: u64 },
    #[error("value {value} at byte {at} does not fit its field")]
    Range { at: usize, value: i128 },
    #[error("an object at byte {at} has fields this reader does not know (bits {bits:#x})")]
    UnknownFields { at: usize, bits: u64 },
    #[error("unknown entry tag {tag} at byte {at}")]
    Tag { at: usize, tag: u8 },
    #[error("a JSON field does not read: {0}")]
    Json(String),
    #[error("{0} bytes follow the last entry")]
    Trailing(usize),
    /// Text copied out of the string table and objects built exceed [`EXPANSION`] times the
    /// data: a forged part that references one long string many times, or holds many empty
    /// objects, is refused before it costs memory.
    #[error("the data would expand beyond {limit} bytes when read")]
    Expansion { limit: usize },
    #[error("{what} {key:?} appears twice in one object")]
    Duplicate { what: &'static str, key: String },
}

/// How many times its own size a part may take once decoded (table text copied out, objects
/// built). A genome-scale part decodes to ~13x its size (1000 variants, 18.6 transcript
/// consequences each); a forged one could otherwise reach thousands of times.
pub const EXPANSION: usize = 64;
/// The budget of a small part: its header and annotator description alone decode larger than
/// the bytes they take.
const MIN_BUDGET: usize = 1 << 20;

/// How a field's text is written: through the string table (values that repeat within a
/// part: identifiers, symbols, biotypes, terms, alleles), inline (unique per row: the input
/// and its ID), or split after its first `:` with the prefix in the table (HGVS: the
/// versioned transcript or protein, then the change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    Table,
    Inline,
    Prefix,
}

/// The policy of the field `name`, decided at compile time.
pub(crate) const fn text_policy(name: &str) -> Text {
    let name = name.as_bytes();
    if eq(name, b"input") || eq(name, b"id") {
        Text::Inline
    } else if eq(name, b"hgvsc") || eq(name, b"hgvsp") {
        Text::Prefix
    } else {
        Text::Table
    }
}

const fn eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

pub(crate) fn varint_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

fn push_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Writes values, interning strings into the part's table. Borrowing the strings (`'a`) keeps
/// the table free of copies.
#[derive(Default)]
pub struct Encoder<'a> {
    pub(crate) body: Vec<u8>,
    index: FxMap<&'a str, u32>,
    strings: Vec<&'a str>,
    /// The encoded size of the table's strings (lengths and bytes, not its count).
    table_bytes: usize,
}

/// A point to go back to: the body's length and the table's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    body: usize,
    strings: usize,
    table_bytes: usize,
}

impl<'a> Encoder<'a> {
    pub fn u64(&mut self, n: u64) {
        push_varint(&mut self.body, n);
    }

    pub fn i64(&mut self, n: i64) {
        push_varint(&mut self.body, ((n << 1) ^ (n >> 63)) as u64);
    }

    pub fn byte(&mut self, b: u8) {
        self.body.push(b);
    }

    pub fn str_inline(&mut self, s: &str) {
        push_varint(&mut self.body, s.len() as u64);
        self.body.extend_from_slice(s.as_bytes());
    }

    pub fn str_ref(&mut self, s: &'a str) {
        let index = self.intern(s);
        push_varint(&mut self.body, u64::from(index));
    }

    fn intern(&mut self, s: &'a str) -> u32 {
        let next = self.strings.len() as u32;
        let index = *self.index.entry(s).or_insert(next);
        if index == next {
            self.strings.push(s);
            self.table_bytes += varint_len(s.len() as u64) + s.len();
        }
        index
    }

    pub(crate) fn text(&mut self, s: &'a str, policy: Text) {
        match policy {
            Text::Table => self.str_ref(s),
            Text::Inline => self.str_inline(s),
            Text::Prefix => {
                // The prefix without its colon is the id other fields hold (`mane_select`,
                // `protein_id`): one table entry for both. The low bit says whether a colon
                // followed it.
                let (prefix, rest, colon) = match s.split_once(':') {
                    Some((prefix, rest)) => (prefix, rest, 1),
                    None => ("", s, 0),
                };
                let index = self.intern(prefix);
                push_varint(&mut self.body, u64::from(index) << 1 | colon);
                self.str_inline(rest);
            }
        }
    }

    pub fn mark(&self) -> Mark {
        Mark {
            body: self.body.len(),
            strings: self.strings.len(),
            table_bytes: self.table_bytes,
        }
    }

    /// Forgets everything written since `mark`, table entries included.
    pub fn rollback(&mut self, mark: Mark) {
        self.body.truncate(mark.body);
        for s in self.strings.drain(mark.strings..) {
            self.index.remove(s);
        }
        self.table_bytes = mark.table_bytes;
    }

    /// The encoded size of the string table (its count included) and the body.
    pub fn len(&self) -> usize {
        varint_len(self.strings.len() as u64) + self.table_bytes + self.body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty() && self.body.is_empty()
    }

    /// Appends the table (count, strings) to `out`.
    pub(crate) fn write_table(&self, out: &mut Vec<u8>) {
        push_varint(out, self.strings.len() as u64);
        for s in &self.strings {
            push_varint(out, s.len() as u64);
            out.extend_from_slice(s.as_bytes());
        }
    }
}

/// Reads values back; table strings are slices of the input.
pub struct Decoder<'d> {
    data: &'d [u8],
    pos: usize,
    strings: Vec<&'d str>,
    /// Bytes the reader may still spend on table text and objects ([`EXPANSION`]).
    budget: usize,
}

impl<'d> Decoder<'d> {
    pub fn new(data: &'d [u8]) -> Self {
        Self {
            data,
            pos: 0,
            strings: Vec::new(),
            budget: data.len().saturating_mul(EXPANSION).max(MIN_BUDGET),
        }
    }

    /// Spends `bytes` of the expansion budget (text copied out of the table, an object built).
    pub(crate) fn charge(&mut self, bytes: usize) -> Result<(), WireError> {
        match self.budget.checked_sub(bytes) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(WireError::Expansion {
                limit: self.data.len().saturating_mul(EXPANSION).max(MIN_BUDGET),
            }),
        }
    }

    /// A table string that is about to be copied out: charged to the budget.
    fn copied(&mut self, index: u64) -> Result<&'d str, WireError> {
        let s = self.table(index)?;
        self.charge(s.len())?;
        Ok(s)
    }

    /// [`Decoder::str_ref`] for a caller that copies the text (charged to the budget).
    pub(crate) fn str_copied(&mut self) -> Result<&'d str, WireError> {
        let index = self.u64()?;
        self.copied(index)
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub fn take(&mut self, n: usize) -> Result<&'d [u8], WireError> {
        if n > self.remaining() {
            return Err(WireError::Truncated(self.pos));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    pub fn byte(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }

    pub fn u64(&mut self) -> Result<u64, WireError> {
        let start = self.pos;
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                if shift == 63 && b > 1 {
                    return Err(WireError::Varint(start));
                }
                return Ok(n);
            }
        }
        Err(WireError::Varint(start))
    }

    pub fn i64(&mut self) -> Result<i64, WireError> {
        let z = self.u64()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    /// A count of items that each take at least one byte: never more than the bytes left,
    /// so forged counts cannot make the reader allocate.
    pub fn count(&mut self) -> Result<usize, WireError> {
        let at = self.pos;
        let count = self.u64()?;
        if count > self.remaining() as u64 {
            return Err(WireError::Count { at, count });
        }
        Ok(count as usize)
    }

    pub fn str_inline(&mut self) -> Result<&'d str, WireError> {
        let at = self.pos;
        let len = self.count()?;
        std::str::from_utf8(self.take(len)?).map_err(|_| WireError::Utf8(at))
    }

    pub fn str_ref(&mut self) -> Result<&'d str, WireError> {
        let index = self.u64()?;
        self.table(index)
    }

    fn table(&self, index: u64) -> Result<&'d str, WireError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.strings.get(i).copied())
            .ok_or(WireError::Reference {
                index,
                len: self.strings.len(),
            })
    }

    pub(crate) fn string(&mut self, policy: Text) -> Result<String, WireError> {
        match policy {
            Text::Table => self.str_copied().map(str::to_owned),
            Text::Inline => self.str_inline().map(str::to_owned),
            Text::Prefix => {
                let tagged = self.u64()?;
                let prefix = self.copied(tagged >> 1)?;
                let rest = self.str_inline()?;
                let mut s = String::with_capacity(prefix.len() + 1 + rest.len());
                s.push_str(prefix);
                if tagged & 1 == 1 {
                    s.push(':');
                }
                s.push_str(rest);
                Ok(s)
            }
        }
    }

    /// Passes over a field's text without copying it (references are still checked).
    pub(crate) fn skip_text(&mut self, policy: Text) -> Result<(), WireError> {
        match policy {
            Text::Table => self.str_ref().map(drop),
            Text::Inline => self.skip_inline(),
            Text::Prefix => {
                let tagged = self.u64()?;
                self.table(tagged >> 1)?;
                self.skip_inline()
            }
        }
    }

    /// Passes over an inline string (its UTF-8 is checked when it is read).
    pub(crate) fn skip_inline(&mut self) -> Result<(), WireError> {
        let len = self.count()?;
        self.take(len).map(drop)
    }

    /// [`Decoder::string`] into `out`, reusing its allocation.
    pub(crate) fn string_into(&mut self, policy: Text, out: &mut String) -> Result<(), WireError> {
        out.clear();
        match policy {
            Text::Table => out.push_str(self.str_copied()?),
            Text::Inline => out.push_str(self.str_inline()?),
            Text::Prefix => {
                let tagged = self.u64()?;
                out.push_str(self.copied(tagged >> 1)?);
                if tagged & 1 == 1 {
                    out.push(':');
                }
                out.push_str(self.str_inline()?);
            }
        }
        Ok(())
    }

    /// Reads the string table (count, strings).
    pub(crate) fn read_table(&mut self) -> Result<(), WireError> {
        let n = self.count()?;
        self.strings.reserve(n);
        for _ in 0..n {
            let s = self.str_inline()?;
            self.strings.push(s);
        }
        Ok(())
    }

    fn narrow<T: TryFrom<i128>>(&self, at: usize, value: i128) -> Result<T, WireError> {
        T::try_from(value).map_err(|_| WireError::Range { at, value })
    }
}

/// How one field type is written and read; `policy` says how its text is written.
pub(crate) trait Wire<'a>: Sized {
    fn put(&'a self, e: &mut Encoder<'a>, policy: Text);
    fn get(d: &mut Decoder<'_>, policy: Text) -> Result<Self, WireError>;
    /// Passes over a value (what [`crate::wire::scan`] does with every field but the input
    /// index); reading and dropping it unless the type knows better.
    fn skip(d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        Self::get(d, policy).map(drop)
    }
    /// [`Wire::get`] into `self`, reusing what it holds where the type can (the downloads
    /// decode part after part into the same buffers).
    fn get_into(&mut self, d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        *self = Self::get(d, policy)?;
        Ok(())
    }
    /// The value of an absent field.
    fn reset(&mut self)
    where
        Self: Default,
    {
        *self = Self::default();
    }
}

/// Skips a value of the type the field `field` projects to (the type is all it reads).
pub(crate) fn skip_field<'a, S, T: Wire<'a>>(
    _field: impl Fn(&S) -> &T,
    d: &mut Decoder<'_>,
    policy: Text,
) -> Result<(), WireError> {
    T::skip(d, policy)
}

/// An object of the annotation types: implemented from their field list (`json_fields!`).
pub(crate) trait WireObject<'a>: Sized {
    fn put_object(&'a self, e: &mut Encoder<'a>);
    fn get_object(d: &mut Decoder<'_>) -> Result<Self, WireError>;
    /// [`WireObject::get_object`] into `self`, reusing its strings and lists.
    fn get_object_into(&mut self, d: &mut Decoder<'_>) -> Result<(), WireError>;
    /// Passes over an object; its `input_index` when it has one.
    fn skip_object(d: &mut Decoder<'_>) -> Result<Option<u64>, WireError>;
}

impl<'a> Wire<'a> for String {
    fn put(&'a self, e: &mut Encoder<'a>, policy: Text) {
        e.text(self, policy);
    }
    fn get(d: &mut Decoder<'_>, policy: Text) -> Result<Self, WireError> {
        d.string(policy)
    }
    fn skip(d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        d.skip_text(policy)
    }
    fn get_into(&mut self, d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        d.string_into(policy, self)
    }
    fn reset(&mut self) {
        self.clear();
    }
}

/// Written only when present (the object's bitmask says which).
impl<'a, T: Wire<'a>> Wire<'a> for Option<T> {
    fn put(&'a self, e: &mut Encoder<'a>, policy: Text) {
        if let Some(v) = self {
            v.put(e, policy);
        }
    }
    fn get(d: &mut Decoder<'_>, policy: Text) -> Result<Self, WireError> {
        T::get(d, policy).map(Some)
    }
    fn skip(d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        T::skip(d, policy)
    }
    fn get_into(&mut self, d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        match self {
            Some(v) => v.get_into(d, policy),
            None => {
                *self = Some(T::get(d, policy)?);
                Ok(())
            }
        }
    }
}

impl<'a> Wire<'a> for u64 {
    fn put(&'a self, e: &mut Encoder<'a>, _: Text) {
        e.u64(*self);
    }
    fn get(d: &mut Decoder<'_>, _: Text) -> Result<Self, WireError> {
        d.u64()
    }
}

impl<'a> Wire<'a> for u8 {
    fn put(&'a self, e: &mut Encoder<'a>, _: Text) {
        e.u64(u64::from(*self));
    }
    fn get(d: &mut Decoder<'_>, _: Text) -> Result<Self, WireError> {
        let at = d.position();
        let v = d.u64()?;
        d.narrow(at, i128::from(v))
    }
}

macro_rules! signed {
    ($($t:ty),*) => {$(
        impl<'a> Wire<'a> for $t {
            fn put(&'a self, e: &mut Encoder<'a>, _: Text) {
                e.i64(i64::from(*self));
            }
            fn get(d: &mut Decoder<'_>, _: Text) -> Result<Self, WireError> {
                let at = d.position();
                let v = d.i64()?;
                d.narrow(at, i128::from(v))
            }
        }
    )*};
}
signed!(i8, i32, i64);

impl<'a> Wire<'a> for Vec<String> {
    fn put(&'a self, e: &mut Encoder<'a>, policy: Text) {
        e.u64(self.len() as u64);
        for s in self {
            e.text(s, policy);
        }
    }
    fn get(d: &mut Decoder<'_>, policy: Text) -> Result<Self, WireError> {
        let n = d.count()?;
        let mut out = Vec::new();
        for _ in 0..n {
            d.charge(std::mem::size_of::<String>())?;
            out.push(d.string(policy)?);
        }
        Ok(out)
    }
    fn skip(d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        let n = d.count()?;
        (0..n).try_for_each(|_| d.skip_text(policy))
    }
    fn get_into(&mut self, d: &mut Decoder<'_>, policy: Text) -> Result<(), WireError> {
        let n = d.count()?;
        self.truncate(n);
        for i in 0..n {
            d.charge(std::mem::size_of::<String>())?;
            match self.get_mut(i) {
                Some(s) => d.string_into(policy, s)?,
                None => self.push(d.string(policy)?),
            }
        }
        Ok(())
    }
    fn reset(&mut self) {
        self.clear();
    }
}

macro_rules! object_list {
    ($($t:ty),*) => {$(
        impl<'a> Wire<'a> for Vec<$t> {
            fn put(&'a self, e: &mut Encoder<'a>, _: Text) {
                e.u64(self.len() as u64);
                for item in self {
                    item.put_object(e);
                }
            }
            fn get(d: &mut Decoder<'_>, _: Text) -> Result<Self, WireError> {
                let n = d.count()?;
                let mut out = Vec::new();
                for _ in 0..n {
                    d.charge(std::mem::size_of::<$t>())?;
                    out.push(<$t>::get_object(d)?);
                }
                Ok(out)
            }
            fn skip(d: &mut Decoder<'_>, _: Text) -> Result<(), WireError> {
                let n = d.count()?;
                (0..n).try_for_each(|_| <$t>::skip_object(d).map(drop))
            }
            fn get_into(&mut self, d: &mut Decoder<'_>, _: Text) -> Result<(), WireError> {
                let n = d.count()?;
                self.truncate(n);
                for i in 0..n {
                    d.charge(std::mem::size_of::<$t>())?;
                    match self.get_mut(i) {
                        Some(item) => item.get_object_into(d)?,
                        None => self.push(<$t>::get_object(d)?),
                    }
                }
                Ok(())
            }
        }
    )*};
}
object_list!(TranscriptConsequence, IntergenicConsequence);

/// Values only remote backends produce, rare enough to travel as JSON text.
macro_rules! as_json {
    ($($t:ty),*) => {$(
        impl<'a> Wire<'a> for $t {
            fn put(&'a self, e: &mut Encoder<'a>, _: Text) {
                // These types serialise without error (string keys, serde derives).
                e.str_inline(&serde_json::to_string(self).unwrap_or_default());
            }
            fn get(d: &mut Decoder<'_>, _: Text) -> Result<Self, WireError> {
                serde_json::from_str(d.str_inline()?).map_err(|e| WireError::Json(e.to_string()))
            }
            fn skip(d: &mut Decoder<'_>, _: Text) -> Result<(), WireError> {
                d.skip_inline()
            }
        }
    )*};
}
as_json!(
    serde_json::Number,
    ModelScore,
    Vec<ModelScore>,
    CalledFromSequence,
    crate::annotation::Extra
);

/// `custom_annotations` natively (sources are configured for every variant, so they are
/// frequent): sources count, then each: short name ref, records count, then each record:
/// name inline (an ID, unique per row), allele 0x00 | 0x01 ref, fields count, then each
/// field: key ref, value ref (significances and review statuses repeat within a part).
impl<'a> Wire<'a> for CustomAnnotations {
    fn put(&'a self, e: &mut Encoder<'a>, _: Text) {
        e.u64(self.len() as u64);
        for (source, records) in self {
            e.str_ref(source);
            e.u64(records.len() as u64);
            for record in records {
                e.str_inline(&record.name);
                match &record.allele {
                    None => e.byte(0),
                    Some(allele) => {
                        e.byte(1);
                        e.str_ref(allele);
                    }
                }
                e.u64(record.fields.len() as u64);
                for (key, value) in &record.fields {
                    e.str_ref(key);
                    e.str_ref(value);
                }
            }
        }
    }
    fn get(d: &mut Decoder<'_>, _: Text) -> Result<Self, WireError> {
        let mut out = CustomAnnotations::new();
        for _ in 0..d.count()? {
            let source = d.str_copied()?.to_owned();
            let n = d.count()?;
            let mut records = Vec::new();
            for _ in 0..n {
                d.charge(std::mem::size_of::<CustomAnnotation>())?;
                let name = d.str_inline()?.to_owned();
                let at = d.position();
                let allele = match d.byte()? {
                    0 => None,
                    1 => Some(d.str_copied()?.to_owned()),
                    tag => return Err(WireError::Tag { at, tag }),
                };
                let mut fields = std::collections::BTreeMap::new();
                for _ in 0..d.count()? {
                    let key = d.str_copied()?.to_owned();
                    let value = d.str_copied()?.to_owned();
                    if fields.contains_key(&key) {
                        return Err(WireError::Duplicate { what: "field", key });
                    }
                    fields.insert(key, value);
                }
                records.push(CustomAnnotation {
                    name,
                    allele,
                    fields,
                });
            }
            if out.contains_key(&source) {
                return Err(WireError::Duplicate {
                    what: "source",
                    key: source,
                });
            }
            out.insert(source, records);
        }
        Ok(out)
    }
    fn skip(d: &mut Decoder<'_>, _: Text) -> Result<(), WireError> {
        for _ in 0..d.count()? {
            d.str_ref()?;
            for _ in 0..d.count()? {
                d.skip_inline()?;
                let at = d.position();
                match d.byte()? {
                    0 => {}
                    1 => {
                        d.str_ref()?;
                    }
                    tag => return Err(WireError::Tag { at, tag }),
                }
                for _ in 0..d.count()? {
                    d.str_ref()?;
                    d.str_ref()?;
                }
            }
        }
        Ok(())
    }
}
