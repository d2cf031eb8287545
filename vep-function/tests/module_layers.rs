//! The engine's module graph stays layered: `scripts/module_layers.py` finds no import cycle
//! and no upward import (a stage using one after it: lanes, models, input, predict, output)
//! in `src/engine`, and it does find them in small trees made to have one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn check(src: &Path) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/module_layers.py");
    Command::new("python3")
        .arg(script)
        .arg(src)
        .output()
        .expect("python3 runs scripts/module_layers.py")
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A scratch `src/` with the given files under it.
fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("module-layers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, body) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    dir
}

#[test]
fn the_engine_has_no_import_cycle_and_no_upward_import() {
    let out = check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(
        out.status.success(),
        "{}{}",
        text(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text(&out).contains("no cycle, no upward import"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_stage_importing_a_later_stage_is_reported() {
    let dir = tree(
        "upward",
        &[
            ("engine.rs", "pub mod models;\npub mod predict;\n"),
            ("engine/models.rs", "use crate::engine::predict::Engine;\n"),
            ("engine/predict.rs", "pub struct Engine;\n"),
        ],
    );
    let out = check(&dir);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("upward import engine::models -> engine::predict"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn siblings_importing_each_other_are_a_cycle_even_through_braces_and_super() {
    let dir = tree(
        "cycle",
        &[
            ("engine.rs", "pub mod predict;\n"),
            ("engine/predict.rs", "mod a;\nmod b;\n"),
            (
                "engine/predict/a.rs",
                "use super::{b::B, c};\npub struct A;\n",
            ),
            (
                "engine/predict/b.rs",
                "pub struct B;\nfn f() { let _ = crate::engine::predict::a::A; }\n",
            ),
        ],
    );
    let out = check(&dir);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("cycle engine::predict::a -> engine::predict::b -> engine::predict::a"),
        "{}",
        text(&out)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn test_modules_may_use_any_stage() {
    let dir = tree(
        "tests",
        &[
            ("engine.rs", "pub mod models;\npub mod predict;\n"),
            (
                "engine/models.rs",
                "pub struct M;\n#[cfg(test)]\nmod tests {\n    use crate::engine::predict::E;\n}\n",
            ),
            ("engine/predict.rs", "pub struct E;\n"),
        ],
    );
    let out = check(&dir);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn engine_md_layout_table_names_every_engine_module() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("ENGINE.md")).unwrap();
    let start = doc
        .find("## Layout (`src/engine/`)")
        .expect("a layout section");
    let end = start + doc[start..].find("\n## ").unwrap_or(doc.len() - start);
    let table = &doc[start..end];
    let mut missing = Vec::new();
    let mut dirs = vec![root.join("src/engine")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if name != "tests"
                && !table.contains(&format!("`{name}`"))
                && !table.contains(&format!("::{name}`"))
            {
                missing.push(name);
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "ENGINE.md's layout table does not name: {missing:?}"
    );
}
