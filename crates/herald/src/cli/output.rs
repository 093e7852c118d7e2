//! Printing results: aligned tables for people, JSON for scripts, or one field plainly
//! (`--print id`) for the next command of a script that has no JSON tool.
use std::sync::OnceLock;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

/// `--print FIELD`, set once from the command line.
static PRINT: OnceLock<String> = OnceLock::new();

pub fn print_only(field: String) {
    let _ = PRINT.set(field);
}

/// Whether the result goes to a script: `--json`, or `--print`.
pub fn for_scripts(json: bool) -> bool {
    json || PRINT.get().is_some()
}

pub fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let value = serde_json::to_value(value)?;
    match PRINT.get() {
        Some(path) => println!("{}", field(&value, path)?),
        None => println!("{}", serde_json::to_string_pretty(&value)?),
    }
    Ok(())
}

/// The field at a dotted path (`id`, `locations.0.id`), as plain text.
fn field(value: &Value, path: &str) -> anyhow::Result<String> {
    let mut at = value;
    for key in path.split('.') {
        at = match at {
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            other => other.get(key),
        }
        .with_context(|| {
            let fields: Vec<&String> = value
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            format!("done, but --print {path}: the result has no such field; it has {fields:?}")
        })?;
    }
    Ok(match at {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    })
}

/// Prints rows under a header, each column as wide as its widest cell.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", padded.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
}
