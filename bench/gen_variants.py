#!/usr/bin/env python3
"""Deterministic benchmark input: N variants (80% SNV, 10% deletion, 10% insertion of 1-10
bases) at random positions of the covered chr21 region, REF taken from the FASTA so both
annotators accept every record, sorted by position as bcftools csq requires.

usage: gen_variants.py FASTA.fa.gz COVERED.bed N SEED > out.vcf
"""

import gzip
import random
import sys


def read_fasta(path):
    opener = gzip.open if path.endswith(".gz") else open
    name, chunks = None, []
    with opener(path, "rb") as f:
        for line in f:
            if line.startswith(b">"):
                if name is not None:
                    raise SystemExit("expected a single-sequence FASTA")
                name = line[1:].split()[0].decode()
                continue
            chunks.append(line.strip())
    return name, b"".join(chunks).upper()


def main():
    fasta, bed, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    chrom, seq = read_fasta(fasta)
    intervals = []
    with open(bed) as f:
        for line in f:
            c, s, e = line.split()[:3]
            if c == chrom:
                intervals.append((int(s), int(e)))  # 0-based half-open
    weights = [e - s for s, e in intervals]
    rng = random.Random(seed)
    records = []
    while len(records) < n:
        s, e = rng.choices(intervals, weights)[0]
        # 1-based POS with room for an anchor base and a 10-base deletion.
        pos = rng.randrange(s + 2, e - 12)
        kind = rng.random()
        if kind < 0.8:
            ref = seq[pos - 1 : pos]
            if ref not in (b"A", b"C", b"G", b"T"):
                continue
            alt = rng.choice([b for b in (b"A", b"C", b"G", b"T") if b != ref])
        elif kind < 0.9:
            length = rng.randint(1, 10)
            ref = seq[pos - 1 : pos + length]
            if b"N" in ref:
                continue
            alt = ref[:1]
        else:
            ref = seq[pos - 1 : pos]
            if ref == b"N":
                continue
            alt = ref + bytes(rng.choice(b"ACGT") for _ in range(rng.randint(1, 10)))
        records.append((pos, ref.decode(), alt.decode()))
    records.sort()
    out = sys.stdout
    out.write("##fileformat=VCFv4.2\n")
    out.write(f"##contig=<ID={chrom},length={len(seq)}>\n")
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for i, (pos, ref, alt) in enumerate(records):
        out.write(f"{chrom}\t{pos}\tv{i}\t{ref}\t{alt}\t.\t.\t.\n")


if __name__ == "__main__":
    main()
