#!/usr/bin/env python3
"""Checks the engine's module graph: no import cycles, no upward imports.

Reads every `use` path and inline `crate::engine::...`/`super::...` path of the product code
under src/engine (test modules and test-only files are left out: a test may use any stage),
resolves each to the module that declares it, and reduces each import to the two sibling
modules it crosses (the children of the importer's and the imported module's nearest common
ancestor). A module using its own parts, or a part using its module, is inside one module and
is not an edge. Then, at every level of the tree:

- the sibling edges form no cycle;
- under `engine`, a stage imports only stages below it in LAYERS (support, then models,
  input, predict, output).

Prints each cycle or upward import found and exits 1; prints the graph summary and exits 0
otherwise. Run by tests/module_layers.rs, so it stays true. Usage: module_layers.py [SRC_DIR]
"""

import os
import re
import sys

LAYERS = ["lanes", "models", "input", "predict", "output"]
TEST_FILES = {"tests.rs", "test_context.rs"}


def module_of(src, path):
    rel = os.path.relpath(path, src)[: -len(".rs")]
    return tuple(rel.split(os.sep))


def product_text(text):
    """The file without comments and without its trailing `#[cfg(test)]` module."""
    cut = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*[{;]", text)
    if cut and text[cut.end() - 1] == "{":
        text = text[: cut.start()]
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*;", "", text)


def expand(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e]."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [re.sub(r"\bas\w+$", "", tree)]
    prefix, inner = tree[:brace], tree[brace + 1 : tree.rindex("}")]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p for part in parts if part for p in expand(prefix + part)]


def resolve(path, here, modules):
    segs = path.split("::")
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            base = base[:-1] if segs[0] == "super" else base
            segs = segs[1:]
    else:
        return None
    target = base
    for seg in segs:
        if target + (seg,) in modules:
            target = target + (seg,)
        else:
            break
    return target if target[:1] == ("engine",) else None


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    src = os.path.abspath(src)
    files = {}
    for root, _, names in os.walk(os.path.join(src, "engine")):
        for name in names:
            if name.endswith(".rs") and name not in TEST_FILES:
                files[module_of(src, os.path.join(root, name))] = os.path.join(root, name)
    modules = set(files) | {("engine",)}
    edges = {}
    for here, path in files.items():
        text = product_text(open(path, encoding="utf-8").read())
        paths = [p for tree in re.findall(r"\buse\s+([^;]+);", text) for p in expand(tree)]
        body = re.sub(r"\buse\s+[^;]+;", "", text)
        paths += re.findall(r"\b(?:crate|super)(?:::\w+)+", body)
        for p in paths:
            target = resolve(p, here, modules)
            if target is None or target == here:
                continue
            common = 0
            while common < min(len(here), len(target)) and here[common] == target[common]:
                common += 1
            if common in (len(here), len(target)):
                continue  # a module and its own parts
            a, b = here[: common + 1], target[: common + 1]
            edges.setdefault((a, b), []).append(f"{os.path.relpath(path, src)}: {p}")
    problems = []
    for (a, b), where in sorted(edges.items()):
        if a[:-1] == ("engine",) and a[-1] in LAYERS and b[-1] in LAYERS:
            if LAYERS.index(a[-1]) < LAYERS.index(b[-1]):
                problems.append(f"upward import {'::'.join(a)} -> {'::'.join(b)} ({where[0]})")
        elif a[:-1] == ("engine",):
            problems.append(f"engine::{a[-1]} or engine::{b[-1]} is not a stage of LAYERS")
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
    state = {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                problems.append("cycle " + " -> ".join("::".join(m) for m in cycle))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"{len(files)} engine files, {len(edges)} sibling imports: no cycle, no upward import")
    return 0


if __name__ == "__main__":
    sys.exit(main())
