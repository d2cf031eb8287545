//! ENGINE.md's layout table names every module of `src/engine`, so the table keeps matching
//! the tree. (That the stages import only downward and in no cycle is checked by
//! `scripts/module_graph.py --under engine --skip-tests`, run by
//! `tests/manifests/test_module_graph.py` with `engine-layers.txt`.)

use std::path::Path;

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
