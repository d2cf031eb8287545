#!/usr/bin/env python3
"""Measures what the whole-genome manifests are sized from: vep-function's time to ready when it
loads a genome-scale index (`VEP_INDEX`), its RSS once ready, and its peak RSS (VmHWM) after
annotating one 1000-variant chunk. Writes the figures to config/sizing/function-genome.json,
which tests/manifests/test_genome.py reads to check the startupProbe and memory settings.

Usage (standard library only):
  config/sizing/measure_function.py --binary target/release/vep-function \
      --index /tmp/full.vepidx --vcf /work/world/full/variants_1000000.vcf [--runs 3]
Build the index first with the same binary: `vep-function index --gff genes.gff3
--fasta genome.fa -o full.vepidx` (its build time and peak RSS can be passed in with
--index-seconds / --index-rss-kib so the file keeps them beside the rest).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import statistics
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHUNK = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process so far (clock ticks -> seconds)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def chunk_of(vcf: Path) -> list[str]:
    """1000 variants spread over the whole file (every Nth record): every chromosome is read."""
    records = [line for line in vcf.read_text().splitlines() if line and not line.startswith("#")]
    step = max(1, len(records) // CHUNK)
    return ["\t".join(r.split("\t")[:5]) for r in records[::step][:CHUNK]]


def post_chunk(port: int, variants: list[str]) -> int:
    body = json.dumps({
        "analysis_id": "sizing", "session_id": "sizing", "request_id": "sizing",
        "chunk_index": 0, "chunk_count": 1, "variants": variants,
    }).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=body, method="POST", headers={
        "ce-specversion": "1.0", "ce-id": "sizing-1", "ce-type": "dev.genomics.variants.submitted.v1",
        "ce-source": "urn:genomics:gateway", "ce-sessionid": "sizing", "ce-analysisid": "sizing",
        "ce-partitionkey": "sizing", "content-type": "application/json",
    })
    with urllib.request.urlopen(req, timeout=300) as resp:
        resp.read()
        return resp.status


def one_run(binary: Path, index: Path, variants: list[str], concurrency: int) -> dict:
    port = free_port()
    # Unsigned: the HMAC over one event (a SHA-256 of <= 1 MB and a few fields) is noise next
    # to annotating 1000 variants, and this script stays standard library only.
    env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "VEP_INDEX": str(index),
           "RUST_LOG": "warn", "EVENT_SIGNING_INSECURE": "true"}
    started = time.monotonic()
    child = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if child.poll() is not None:
                raise RuntimeError(f"vep-function exited with {child.returncode} before it was ready")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/readiness", timeout=1) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.005)
        ready_s = time.monotonic() - started
        ready_cpu = cpu_seconds(child.pid)
        rss_ready = proc_status_kib(child.pid, "VmRSS")
        t0 = time.monotonic()
        with ThreadPoolExecutor(concurrency) as pool:
            statuses = list(pool.map(lambda _: post_chunk(port, variants), range(concurrency)))
        chunk_s = time.monotonic() - t0
        assert statuses == [200] * concurrency, f"the chunks were answered {statuses}"
        return {"ready_s": round(ready_s, 3), "ready_cpu_s": round(ready_cpu, 3),
                "rss_ready_kib": rss_ready, "chunk_s": round(chunk_s, 3),
                "peak_rss_kib": proc_status_kib(child.pid, "VmHWM"),
                "total_cpu_s": round(cpu_seconds(child.pid), 3)}
    finally:
        child.terminate()
        child.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--vcf", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[1, 4],
                    help="chunks posted at once; 4 = the function's annotation permits on 2 CPUs")
    ap.add_argument("--index-seconds", type=float)
    ap.add_argument("--index-rss-kib", type=int)
    ap.add_argument("--out", type=Path, default=HERE / "function-genome.json")
    args = ap.parse_args()

    variants = chunk_of(args.vcf)
    runs = []
    for concurrency in args.concurrency:
        for _ in range(args.runs):
            load_before = os.getloadavg()[0]
            run = one_run(args.binary.resolve(), args.index.resolve(), variants, concurrency)
            run["concurrency"] = concurrency
            run["loadavg_1m"] = round(max(load_before, os.getloadavg()[0]), 2)
            runs.append(run)
            print(json.dumps(run))
    single = [r for r in runs if r["concurrency"] == 1] or runs
    commit = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    figures = {
        "what": "vep-function serving a genome-scale index: time to ready, RSS once ready, peak RSS "
                f"(VmHWM) after one {CHUNK}-variant chunk and after {max(args.concurrency)} such chunks "
                f"at once (median of {args.runs} runs per case for times, max for memory)",
        "build": {"commit": commit, "binary": "release",
                  "sha256": hashlib.sha256(args.binary.read_bytes()).hexdigest()[:16]},
        "world": {"index_bytes": args.index.stat().st_size, "vcf": args.vcf.name,
                  "index_build_s": args.index_seconds, "index_build_peak_rss_kib": args.index_rss_kib},
        "ready_s": statistics.median(r["ready_s"] for r in runs),
        "ready_max_s": max(r["ready_s"] for r in runs),
        "ready_cpu_s": statistics.median(r["ready_cpu_s"] for r in runs),
        "rss_ready_kib": max(r["rss_ready_kib"] for r in runs),
        "chunk_s": statistics.median(r["chunk_s"] for r in single),
        "peak_rss_kib": max(r["peak_rss_kib"] for r in single),
        "peak_rss_concurrent_kib": max(r["peak_rss_kib"] for r in runs),
        "max_concurrency": max(args.concurrency),
        "loadavg_1m": max(r["loadavg_1m"] for r in runs),
        "runs": runs,
    }
    args.out.write_text(json.dumps(figures, indent=1) + "\n")
    print("wrote", args.out)


if __name__ == "__main__":
    main()
