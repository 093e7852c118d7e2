//! Every operation of the `Store` trait is exercised by some story, so a backend that passes
//! the stories implements all of them as the others do. An operation added without a story
//! fails here, naming it.
use std::fs;
use std::path::Path;

/// The names of the trait's operations, in the order `src/lib.rs` declares them.
fn operations(lib: &str) -> Vec<String> {
    let start = lib
        .find("pub trait Store")
        .expect("the Store trait in src/lib.rs");
    let body = &lib[start..];
    let end = body.find("\n}\n").expect("the end of the Store trait");
    body[..end]
        .split("async fn ")
        .skip(1)
        .filter_map(|rest| rest.split(['(', '<']).next())
        .map(|name| name.trim().to_string())
        .collect()
}

/// Whether `source` calls the method `name` (`.name(`, possibly across a line break).
fn calls(source: &str, name: &str) -> bool {
    source.match_indices(name).any(|(at, _)| {
        let before = source[..at].trim_end();
        let after = source[at + name.len()..].trim_start();
        before.ends_with('.') && after.starts_with('(')
    })
}

#[test]
fn every_store_operation_has_a_story() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = fs::read_to_string(root.join("src/lib.rs")).expect("src/lib.rs");
    let ops = operations(&lib);
    assert!(
        ops.len() > 50,
        "the trait's operations were not found: {ops:?}"
    );
    let mut stories = String::new();
    for entry in fs::read_dir(root.join("tests/story")).expect("tests/story") {
        let path = entry.expect("a story file").path();
        stories.push_str(&fs::read_to_string(&path).expect("a story's source"));
    }
    let missing: Vec<&String> = ops.iter().filter(|op| !calls(&stories, op)).collect();
    assert!(
        missing.is_empty(),
        "no story in tests/story exercises these Store operations; add one that runs each \
         against every backend: {missing:?}"
    );
}

#[test]
fn the_reading_of_the_trait_and_of_calls_is_sound() {
    let lib = "pub trait Store: Send {\n    async fn page(&self) -> R;\n    async fn changes<T>(\n        &self);\n}\n";
    assert_eq!(operations(lib), ["page", "changes"]);
    assert!(calls("store\n        .page(\"x\")", "page"));
    assert!(!calls("new_page(store)", "page"));
    assert!(!calls("store.pages()", "page"));
}
