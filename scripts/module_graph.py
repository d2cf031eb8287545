#!/usr/bin/env python3
"""Checks a Rust crate's module graph: no import cycles, no module reaching up a layer.

Usage: scripts/module_graph.py SRC_DIR LAYERS_FILE [--under MODULE] [--skip-tests]
  (e.g. gateway/src gateway/layers.txt;
   vep-function/src vep-function/engine-layers.txt --under engine --skip-tests)

LAYERS_FILE lists the crate's top-level modules (with --under, the children of MODULE, e.g.
`engine`: only that subtree is checked), one layer per line, lowest first (several modules on
a line share a layer; `#` starts a comment). Every one of them must be listed. A module may
use its own layer and those below it, never one above. --skip-tests leaves test code out
(files named tests.rs or test_*.rs, and a trailing `#[cfg(test)] mod ... { }`): unit tests
beside the code may use any layer.

Edges are the paths a file names (`use` trees, braces expanded, and `crate::`/`super::`/
`self::` paths in code), each resolved to the deepest module that exists. Cycles are looked
for among the children of every module (a reference into a child's subtree counts as the
child), so `a::x -> b` and `b -> a::y` is a cycle between `a` and `b`, while a parent and
its own children may name each other (re-exports, `use super::*` in tests). The lead
and reviewers run it through tests/manifests/test_module_graph.py.

Exits 0 when clean, 1 listing every violation, 2 on bad arguments.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PATH_RE = re.compile(r"\b(crate|super|self)((?:\s*::\s*\w+)+)")
USE_RE = re.compile(r"\buse\s+((?:crate|super|self)\b[^;]*);", re.S)


def module_of(src: Path, file: Path) -> tuple[str, ...] | None:
    """The module path a file defines; None for a binary root (main.rs, bin/)."""
    rel = file.relative_to(src).with_suffix("")
    parts = rel.parts
    if parts in (("lib",),):
        return ()
    if parts == ("main",) or (parts and parts[0] == "bin"):
        return None
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    # Line comments, docs included; a `//` inside a string cuts that line short, which can
    # only hide a path, never invent one.
    return re.sub(r"//[^\n]*", "", text)


def expand_use(tree: str) -> list[list[str]]:
    """`crate::a::{b, c::{d, e}}` -> [[crate,a,b], [crate,a,c,d], [crate,a,c,e]]."""
    # Renames name nothing new: `store as s` is `store`.
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    out: list[list[str]] = []

    def walk(prefix: list[str], s: str) -> None:
        for item in split_top(s):
            if not item:
                continue
            if "{" in item:
                head, _, rest = item.partition("{")
                segs = [p for p in head.split("::") if p]
                walk(prefix + segs, rest[: rest.rfind("}")])
            else:
                segs = [p for p in item.split("::") if p and p != "*"]
                out.append(prefix + segs)

    walk([], tree)
    return out


def split_top(s: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def resolve(here: tuple[str, ...], segs: list[str], modules: set) -> tuple[str, ...] | None:
    base: tuple[str, ...]
    i = 0
    if segs[0] == "crate":
        base, i = (), 1
    elif segs[0] in ("super", "self"):
        base = here
        while i < len(segs) and segs[i] in ("super", "self"):
            if segs[i] == "super":
                if not base:
                    return None
                base = base[:-1]
            i += 1
    else:
        return None
    for seg in segs[i:]:
        if base + (seg,) in modules:
            base = base + (seg,)
        else:
            break
    return base


TEST_MODULE_RE = re.compile(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{")


def is_test_file(f: Path) -> bool:
    return f.stem == "tests" or f.stem.startswith("test_")


def without_tests(text: str) -> str:
    """The text before its `#[cfg(test)] mod ... {` (kept last in a file by convention)."""
    found = TEST_MODULE_RE.search(text)
    return text[: found.start()] if found else text


def edges(src: Path, skip_tests: bool = False) -> tuple[set, set]:
    files = {}
    for f in sorted(src.rglob("*.rs")):
        m = module_of(src, f)
        if m is not None and not (skip_tests and is_test_file(f)):
            files[m] = f
    modules = set(files)
    found = set()
    for here, f in files.items():
        text = f.read_text()
        text = strip_comments(without_tests(text) if skip_tests else text)
        paths = [p for u in USE_RE.findall(text) for p in expand_use(u)]
        rest = USE_RE.sub(" ", text)
        paths += [[m.group(1)] + re.sub(r"\s", "", m.group(2)).split("::")[1:]
                  for m in PATH_RE.finditer(rest)]
        for p in paths:
            target = resolve(here, p, modules)
            if target is not None and target != here:
                found.add((here, target))
    return modules, found


def read_layers(path: Path) -> dict[str, int]:
    layers = {}
    for n, line in enumerate(path.read_text().splitlines()):
        for name in line.split("#", 1)[0].split():
            layers[name] = n
    return layers


def cycles(modules: set, found: set, under: tuple = ()) -> list[list[str]]:
    """Strongly connected groups of siblings, for every parent in `under`'s subtree."""
    out = []
    for parent in sorted(m for m in modules | {()} if m[: len(under)] == under):
        kids = sorted(m for m in modules if len(m) == len(parent) + 1 and m[: len(parent)] == parent)
        if len(kids) < 2:
            continue
        graph = {k: set() for k in kids}
        depth = len(parent)
        for a, b in found:
            if len(a) > depth and len(b) > depth and a[:depth] == parent == b[:depth]:
                ka, kb = a[: depth + 1], b[: depth + 1]
                if ka != kb:
                    graph[ka].add(kb)
        for group in scc(graph):
            if len(group) > 1:
                out.append(["::".join(k) for k in sorted(group)])
    return out


def scc(graph: dict) -> list[list]:
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            out.append(group)

    for v in graph:
        if v not in index:
            visit(v)
    return out


def check(src: Path, layers_file: Path, under: tuple = (), skip_tests: bool = False) -> list[str]:
    modules, found = edges(src, skip_tests)
    layers = read_layers(layers_file)
    problems = []
    n = len(under)
    if under and under not in modules:
        problems.append(f"module {'::'.join(under)} is not in {src}")
    for top in sorted({m[n] for m in modules if len(m) > n and m[:n] == under}):
        if top not in layers:
            problems.append(f"module {top} is in no layer of {layers_file}")
    for a, b in sorted(found):
        if len(a) <= n or len(b) <= n or a[:n] != under or b[:n] != under or a[n] == b[n]:
            continue
        la, lb = layers.get(a[n]), layers.get(b[n])
        if la is not None and lb is not None and lb > la:
            problems.append(f"upward: {'::'.join(a)} -> {'::'.join(b)} ({a[n]} is below {b[n]})")
    for group in cycles(modules, found, under):
        problems.append("cycle: " + " <-> ".join(group))
    return problems


def main(argv: list[str]) -> int:
    args = argv[1:]
    skip_tests = "--skip-tests" in args
    args = [a for a in args if a != "--skip-tests"]
    under: tuple = ()
    if "--under" in args:
        i = args.index("--under")
        if i + 1 >= len(args):
            args = []
        else:
            under = tuple(args[i + 1].split("::"))
            del args[i : i + 2]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    argv = [argv[0]] + args
    problems = check(Path(argv[1]), Path(argv[2]), under, skip_tests)
    for p in problems:
        print(p)
    if not problems:
        print(f"{argv[1]}: no cycles, no upward imports")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
