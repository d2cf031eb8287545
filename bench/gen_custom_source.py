#!/usr/bin/env python3
"""Known-variant source for bench/custom.sh, in ClinVar's conventions (`##source=ClinVar`,
`CLNSIG`, `CLNREVSTAT`, `CLNDN`, plus an `AF`), values generated. Sorted by contig (in the
order of the FAI, else of the input) and position, as bgzip + tabix require.

  gen_custom_source.py VARIANTS.vcf SEED dense
      Every second input record as a known variant (same REF/ALT: an exact match), every fifth
      also with another allele at its position (must not match), one symbolic neighbour per
      ten. A record every ~1.5 bp of the region: gnomAD's density, far above ClinVar's; the
      stress case, where reading the source is most of the work.

  gen_custom_source.py VARIANTS.vcf SEED clinvar GENOME.fa.fai COUNT
      Every 20th input record as a known variant, and COUNT more SNV records at random places
      of the genome (ClinVar held ~3M records in 2024: COUNT=2500000 is its density).
"""

import random
import sys

SIGNIFICANCE = ["Pathogenic", "Likely_pathogenic", "Uncertain_significance", "Likely_benign", "Benign"]


def read_input(path):
    with open(path) as f:
        for n, line in enumerate(f):
            if line.startswith("#"):
                continue
            chrom, pos, _id, ref, alt = line.split("\t")[:5]
            yield n, chrom, int(pos), ref, alt


def dense(path):
    records = []
    for n, chrom, pos, ref, alt in read_input(path):
        if n % 2 == 0:
            records.append((chrom, pos, ref, alt))
        if n % 5 == 0:
            other = "C" if alt[:1] != "C" else "G"
            records.append((chrom, pos, ref[:1], other if other != ref[:1] else "T"))
        if n % 10 == 0 and len(ref) == 1:
            records.append((chrom, pos, ref, "<DEL>"))
    return records


def clinvar(path, fai, count, rng):
    records = [(c, p, r, a) for n, c, p, r, a in read_input(path) if n % 20 == 0]
    contigs = []
    with open(fai) as f:
        for line in f:
            name, length = line.split("\t")[:2]
            contigs.append((name, int(length)))
    total = sum(length for _, length in contigs)
    for _ in range(count):
        at = rng.randrange(total)
        for name, length in contigs:
            if at < length:
                ref = rng.choice("ACGT")
                records.append((name, at + 1, ref, rng.choice([b for b in "ACGT" if b != ref])))
                break
            at -= length
    return records, [name for name, _ in contigs]


def main():
    path, seed, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    rng = random.Random(seed)
    if mode == "dense":
        records = dense(path)
        order = list(dict.fromkeys(c for _, c, _, _, _ in read_input(path)))
    elif mode == "clinvar":
        records, order = clinvar(path, sys.argv[4], int(sys.argv[5]), rng)
    else:
        raise SystemExit(f"unknown mode {mode!r}: dense or clinvar")
    rank = {name: i for i, name in enumerate(order)}
    records.sort(key=lambda r: (rank.get(r[0], len(rank)), r[1]))
    out = sys.stdout
    out.write("##fileformat=VCFv4.1\n##source=ClinVar\n")
    out.write('##INFO=<ID=AF,Number=A,Type=Float,Description="Alternate allele frequency">\n')
    out.write('##INFO=<ID=CLNDN,Number=.,Type=String,Description="Disease name">\n')
    out.write('##INFO=<ID=CLNREVSTAT,Number=.,Type=String,Description="Review status">\n')
    out.write('##INFO=<ID=CLNSIG,Number=.,Type=String,Description="Clinical significance">\n')
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for i, (chrom, pos, ref, alt) in enumerate(records):
        out.write(
            f"{chrom}\t{pos}\t{i + 1}\t{ref}\t{alt}\t.\t.\tAF={rng.random() ** 4:.6g};"
            f"CLNDN=not_provided;CLNREVSTAT=criteria_provided,_single_submitter;"
            f"CLNSIG={rng.choice(SIGNIFICANCE)}\n"
        )


if __name__ == "__main__":
    main()
