"""The gateway's module graph has no import cycles and no module reaching up a layer
(gateway/layers.txt), checked by scripts/module_graph.py; and the script does catch both."""
import subprocess
import sys

import pytest

from manifests import ROOT

SCRIPT = ROOT / "scripts/module_graph.py"


def run(src, layers):
    return subprocess.run([sys.executable, str(SCRIPT), str(src), str(layers)],
                          capture_output=True, text=True, check=False)


def crate(tmp_path, files, layers):
    src = tmp_path / "src"
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    (tmp_path / "layers.txt").write_text(layers)
    return src, tmp_path / "layers.txt"


def test_the_gateway_has_no_cycles_and_no_upward_imports():
    out = run(ROOT / "gateway/src", ROOT / "gateway/layers.txt")
    assert out.returncode == 0, out.stdout + out.stderr


# Each crate breaks the rules once, and the script names how.
BROKEN = {
    "an upward import in a grouped use": ({
        "lib.rs": "pub mod low;\npub mod high;\n",
        "low.rs": "//! low\nuse crate::{high as h, low};\n",
        "high.rs": "//! high\npub struct Thing;\n",
    }, "low\nhigh\n", "upward: low -> high"),
    "a cycle between siblings through their children": ({
        "lib.rs": "pub mod a;\n",
        "a.rs": "pub mod p;\npub mod q;\n",
        "a/p.rs": "use super::q::Q;\npub struct P;\n",
        "a/q/deep.rs": "fn f() -> crate::a::p::P { todo!() }\n",
        "a/q.rs": "mod deep;\npub struct Q;\n",
    }, "a\n", "cycle: a::p <-> a::q"),
    "a module in no layer": ({"lib.rs": "pub mod a;\npub mod b;\n", "a.rs": "", "b.rs": ""},
                             "a\n", "module b is in no layer"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_rule_is_reported(tmp_path, case):
    files, layers, expected = BROKEN[case]
    out = run(*crate(tmp_path, files, layers))
    assert out.returncode == 1
    assert expected in out.stdout


def test_a_parent_and_its_children_may_name_each_other(tmp_path):
    src, layers = crate(tmp_path, {
        "lib.rs": "pub mod a;\n",
        "a.rs": "mod x;\npub use x::X;\npub struct Y;\n",
        "a/x.rs": "use super::Y;\npub struct X(Y);\n// use crate::b; (a comment names nothing)\n",
    }, "a\n")
    assert run(src, layers).returncode == 0
