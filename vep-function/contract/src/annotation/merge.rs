//! Adding another annotation's fields to ours, ours winning: how `VEP_BACKEND=local+ensembl`
//! gives the engine's annotations what only Ensembl has (SIFT/PolyPhen, colocated variants,
//! plugin fields). Field by field through the JSON form, so every field (typed or passed
//! through) is covered without another list of them.

use serde_json::Value;

use super::lenient::Lenient;
use super::{Extra, TranscriptConsequence, VariantAnnotation};

/// An annotation type that can take fields from another of its kind.
pub trait AddMissing: serde::Serialize + Sized {
    #[doc(hidden)]
    fn from_extra(map: Extra) -> Option<Self>;

    /// Copies into `self` every field of `theirs` it lacks, but those named in `except`.
    /// `self`'s own fields are never changed.
    fn add_missing(&mut self, theirs: &Self, except: &[&str]) {
        let (Ok(Value::Object(mut ours)), Ok(Value::Object(their_fields))) =
            (serde_json::to_value(&*self), serde_json::to_value(theirs))
        else {
            return;
        };
        let mut added = false;
        for (k, v) in their_fields {
            if !except.contains(&k.as_str()) && !ours.contains_key(&k) {
                ours.insert(k, v);
                added = true;
            }
        }
        if added {
            // Ours read back with theirs added: ours had every required field already.
            if let Some(merged) = Self::from_extra(ours.into_iter().collect()) {
                *self = merged;
            }
        }
    }
}

impl AddMissing for VariantAnnotation {
    fn from_extra(map: Extra) -> Option<Self> {
        Self::from_map(map).ok()
    }
}

impl AddMissing for TranscriptConsequence {
    fn from_extra(map: Extra) -> Option<Self> {
        Self::from_map(map).ok()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::annotation::tests::engine_like;

    #[test]
    fn fields_we_lack_are_added_and_ours_are_kept() {
        let mut ours = engine_like();
        let mut theirs = engine_like();
        theirs.most_severe_consequence = "stop_gained".into();
        theirs
            .extra
            .insert("colocated_variants".into(), json!([{"id": "rs1"}]));
        theirs.transcript_consequences[0].sift_score = Some(0.into());
        ours.add_missing(&theirs, &["transcript_consequences"]);
        assert_eq!(ours.most_severe_consequence, "missense_variant");
        assert_eq!(ours.extra["colocated_variants"][0]["id"], "rs1");
        assert_eq!(ours.transcript_consequences[0].sift_score, None);
        let (mut t, their_t) = (
            ours.transcript_consequences[0].clone(),
            &theirs.transcript_consequences[0],
        );
        t.add_missing(their_t, &[]);
        assert_eq!(t.sift_score, Some(0.into()));
    }
}
