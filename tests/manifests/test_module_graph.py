"""The gateway's module graph and the vep-function engine's stages have no import cycles and
no module reaching up a layer (gateway/layers.txt, vep-function/engine-layers.txt), checked by
scripts/module_graph.py; and the script does catch both."""
import subprocess
import sys

import pytest

from manifests import ROOT

SCRIPT = ROOT / "scripts/module_graph.py"


def run(src, layers, *options):
    return subprocess.run([sys.executable, str(SCRIPT), str(src), str(layers), *options],
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


def test_the_engine_stages_have_no_cycles_and_no_upward_imports():
    out = run(ROOT / "vep-function/src", ROOT / "vep-function/engine-layers.txt",
              "--under", "engine", "--skip-tests")
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


# The engine's layout in small: stages under `engine`, a test beside `low` using `high`.
UNDER = {
    "lib.rs": "pub mod engine;\npub mod cli;\n",
    "cli.rs": "use crate::engine::high::H;\n",
    "engine.rs": "pub mod low;\npub mod high;\n",
    "engine/high.rs": "use crate::engine::low::L;\npub struct H;\n",
    "engine/low.rs": "pub struct L;\n#[cfg(test)]\nmod tests {\n    use crate::engine::high::H;\n}\n",
    "engine/low/tests.rs": "use crate::engine::high::H;\n",
}


def test_under_checks_one_subtree_and_skip_tests_leaves_test_code_out(tmp_path):
    src, layers = crate(tmp_path, UNDER, "low\nhigh\n")
    clean = run(src, layers, "--under", "engine", "--skip-tests")
    assert clean.returncode == 0, clean.stdout
    with_tests = run(src, layers, "--under", "engine")
    assert with_tests.returncode == 1
    assert "upward: engine::low -> engine::high" in with_tests.stdout
    assert "upward: engine::low::tests -> engine::high" in with_tests.stdout
    assert "cycle: engine::high <-> engine::low" in with_tests.stdout
    # The modules outside the subtree (cli) are neither layered nor checked.
    assert "cli" not in with_tests.stdout


def test_under_a_missing_module_or_an_unlisted_stage_is_reported(tmp_path):
    src, layers = crate(tmp_path, UNDER, "low\n")
    out = run(src, layers, "--under", "engine", "--skip-tests")
    assert out.returncode == 1
    assert "module high is in no layer" in out.stdout
    assert "module nowhere is not in" in run(src, layers, "--under", "nowhere").stdout
