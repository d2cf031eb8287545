//! Contig name aliases: `chr21`, `21` and `NC_000021.9` name the same GRCh38 sequence.

/// GRCh38 RefSeq accessions of the primary chromosomes, in order 1..22, X, Y.
const REFSEQ_GRCH38: [&str; 24] = [
    "NC_000001",
    "NC_000002",
    "NC_000003",
    "NC_000004",
    "NC_000005",
    "NC_000006",
    "NC_000007",
    "NC_000008",
    "NC_000009",
    "NC_000010",
    "NC_000011",
    "NC_000012",
    "NC_000013",
    "NC_000014",
    "NC_000015",
    "NC_000016",
    "NC_000017",
    "NC_000018",
    "NC_000019",
    "NC_000020",
    "NC_000021",
    "NC_000022",
    "NC_000023",
    "NC_000024",
];

/// The Ensembl-style name (`21`, `X`, `MT`) for any of the usual spellings; other names are
/// returned unchanged.
pub fn canonical_name(name: &str) -> String {
    let stripped = name
        .strip_prefix("chr")
        .or_else(|| name.strip_prefix("Chr"))
        .or_else(|| name.strip_prefix("CHR"))
        .unwrap_or(name);
    match stripped {
        "M" | "MT" | "m" | "mt" => return "MT".to_string(),
        "x" => return "X".to_string(),
        "y" => return "Y".to_string(),
        _ => {}
    }
    if name == "NC_012920.1" || name == "NC_012920" {
        return "MT".to_string();
    }
    let accession = name.split('.').next().unwrap_or(name);
    if let Some(i) = REFSEQ_GRCH38.iter().position(|a| *a == accession) {
        return match i {
            22 => "X".to_string(),
            23 => "Y".to_string(),
            _ => (i + 1).to_string(),
        };
    }
    stripped.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ucsc_refseq_and_mitochondrial_names_to_ensembl_names() {
        assert_eq!(canonical_name("chr21"), "21");
        assert_eq!(canonical_name("21"), "21");
        assert_eq!(canonical_name("NC_000021.9"), "21");
        assert_eq!(canonical_name("NC_000023.11"), "X");
        assert_eq!(canonical_name("chrM"), "MT");
        assert_eq!(canonical_name("MT"), "MT");
        assert_eq!(canonical_name("GL000220.1"), "GL000220.1");
    }
}
