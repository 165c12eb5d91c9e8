//! Keeps docs/troubleshooting.md honest: every condition and event reason the operator sets has
//! a `### \`Reason\`` entry there, every node-agent exit code has a row in its exit-code table,
//! and the page documents nothing the code no longer sets. It checks that entries exist, not
//! what they say.
//!
//! Reasons come from two places: the public reason constants, named here directly, and a scan
//! of the operator's source for PascalCase string literals outside tests, because the RenderJob
//! controller's reasons are private constants and literals. A literal that is not a reason
//! (Kubernetes vocabulary the operator reads or writes into pod specs) is listed in
//! [`NOT_REASONS`] with why; any other new literal fails this test until the page explains it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use framefarm_node_agent::outcome::ExitKind;
use framefarm_operator::shot::{rollup, validate};

/// PascalCase strings in the operator's code that never become a condition or event reason.
const NOT_REASONS: &[&str] = &[
    // Condition statuses and the Kubernetes kinds the operator names (also in messages).
    "True",
    "False",
    "RenderShot",
    "RenderJob",
    "Pod",
    "RenderJobs",
    // Pod phases and pod condition types the operator reads.
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "PodScheduled",
    "DisruptionTarget",
    // Pod and container reasons the operator reads and reports under its own reasons
    // (`Evicted`, `ImagePullBackOff`).
    "Preempting",
    "Shutdown",
    "NodeShutdown",
    "NodeLost",
    "ErrImagePull",
    // Values the operator writes into pod specs.
    "Exists",
    "NoSchedule",
    "NotIn",
    "Never",
    "RuntimeDefault",
    "DirectoryOrCreate",
    // The name `Debug` prints for the shared context.
    "Context",
];

/// The reason constants the operator exports; the scan must find each of them too, which
/// shows that it reads the code it is meant to read.
const EXPORTED_REASONS: &[&str] = &[
    validate::INVALID_SPEC,
    validate::SECRET_MISSING,
    validate::SECRET_KEY_MISSING,
    validate::SCENE_MISSING,
    validate::STORAGE_UNREACHABLE,
    rollup::RENDERING,
    rollup::UNSCHEDULABLE,
    rollup::SUSPENDED,
    rollup::MAKING_PREVIEW,
    rollup::FRAMES_FAILED,
    rollup::RENDERED,
];

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn page() -> String {
    let path = repository().join("docs/troubleshooting.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

#[test]
fn every_reason_the_operator_sets_has_an_entry_and_every_entry_is_a_reason() {
    let set = reasons_in_operator_code();
    for exported in EXPORTED_REASONS {
        assert!(
            set.contains(*exported),
            "the source scan missed the exported reason {exported}; found {set:?}"
        );
    }
    let documented = reason_headings(&page());
    let undocumented: Vec<&String> = set.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "docs/troubleshooting.md has no `### \\`Reason\\`` entry for {undocumented:?}; add one \
         (symptom, cause, fix), or list the string in NOT_REASONS if it is not a reason"
    );
    let stale: Vec<&String> = documented.difference(&set).collect();
    assert!(
        stale.is_empty(),
        "docs/troubleshooting.md has entries for {stale:?}, which the operator no longer sets"
    );
}

#[test]
fn every_agent_exit_code_has_a_row_and_every_row_is_an_exit_code() {
    let expected: BTreeSet<(u8, String)> = ExitKind::ALL
        .iter()
        .map(|kind| (kind.code(), kind.reason().to_owned()))
        .collect();
    let rows = exit_code_rows(&page());
    assert_eq!(
        rows, expected,
        "the exit-code table of docs/troubleshooting.md (rows `| code | \\`Name\\` | …`) must \
         list exactly the node-agent's ExitKind codes"
    );
}

#[test]
fn the_scanner_skips_comments_tests_and_lifetimes() {
    let source = r##"
        //! "Commented"
        fn f<'a>(x: &'a str) -> char { let _ = "Kept"; let _ = r#"RawKept"#; '"' }
        /* "Blocked" */
        const Q: char = '\'';
        fn g() { let _ = "Also"; }
        #[cfg(test)]
        #[allow(dead_code)]
        mod tests { fn h() { let _ = "InTests"; let _ = "{"; } }
    "##;
    let found: Vec<String> = pascal_literals(source);
    assert_eq!(found, ["Kept", "RawKept", "Also"]);
}

/// PascalCase literals of the operator's non-test code, less [`NOT_REASONS`].
fn reasons_in_operator_code() -> BTreeSet<String> {
    let mut files = Vec::new();
    collect_sources(&repository().join("operator/src"), &mut files);
    assert!(!files.is_empty(), "no operator sources found");
    files
        .iter()
        .flat_map(|file| pascal_literals(&std::fs::read_to_string(file).unwrap()))
        .filter(|literal| !NOT_REASONS.contains(&literal.as_str()))
        .collect()
}

/// Rust files under `dir`, without the test-only ones (`tests.rs`, `fixtures.rs`, `tests/`)
/// and the dashboard's page text (`dashboard/`), which reads reasons but sets none.
fn collect_sources(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if name != "tests" && name != "dashboard" {
                collect_sources(&path, files);
            }
        } else if name.ends_with(".rs") && name != "tests.rs" && name != "fixtures.rs" {
            files.push(path);
        }
    }
}

/// `### \`Name\`` headings of the page.
fn reason_headings(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter_map(|line| line.strip_prefix("### `"))
        .filter_map(|rest| rest.split_once('`'))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// `| 15 | \`EngineCrashed\` | …` rows of the page.
fn exit_code_rows(page: &str) -> BTreeSet<(u8, String)> {
    page.lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix('|')?.split('|').map(str::trim);
            let code = cells.next()?.parse().ok()?;
            let name = cells.next()?.strip_prefix('`')?.strip_suffix('`')?;
            Some((code, name.to_owned()))
        })
        .collect()
}

/// String literals of `source` that are one PascalCase word, outside comments and outside
/// `#[cfg(test)] mod … { … }` blocks.
fn pascal_literals(source: &str) -> Vec<String> {
    let (code, literals) = lex(source);
    let skipped = test_modules(&code);
    literals
        .into_iter()
        .filter(|(at, _)| !skipped.iter().any(|range| range.contains(at)))
        .map(|(_, literal)| literal)
        .filter(|literal| is_pascal_word(literal))
        .collect()
}

fn is_pascal_word(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_uppercase())
        && text.chars().all(|c| c.is_ascii_alphanumeric())
        && text.chars().any(|c| c.is_ascii_lowercase())
}

/// The code with comments and the insides of string and char literals blanked out (so braces
/// in them do not count), and each string literal with the offset it starts at.
fn lex(source: &str) -> (Vec<char>, Vec<(usize, String)>) {
    let chars: Vec<char> = source.chars().collect();
    let mut code = chars.clone();
    let mut literals = Vec::new();
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        match (at(i), at(i + 1)) {
            ('/', '/') => {
                while i < chars.len() && at(i) != '\n' {
                    i += 1;
                }
                blank(&mut code, start, i);
            }
            ('/', '*') => {
                let mut depth = 0;
                while i < chars.len() {
                    match (at(i), at(i + 1)) {
                        ('/', '*') => (depth, i) = (depth + 1, i + 2),
                        ('*', '/') => (depth, i) = (depth - 1, i + 2),
                        _ => i += 1,
                    }
                    if depth == 0 {
                        break;
                    }
                }
                blank(&mut code, start, i);
            }
            ('r', '"' | '#') if !is_ident(at(i.wrapping_sub(1))) => {
                let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
                if at(i + 1 + hashes) != '"' {
                    i += 1;
                    continue;
                }
                let body = i + 2 + hashes;
                let closing: Vec<char> = std::iter::once('"')
                    .chain(std::iter::repeat_n('#', hashes))
                    .collect();
                let mut end = body;
                while end < chars.len() && !chars[end..].starts_with(&closing) {
                    end += 1;
                }
                literals.push((start, chars[body..end].iter().collect()));
                i = end + closing.len();
                blank(&mut code, start, i);
            }
            ('"', _) => {
                let mut text = String::new();
                i += 1;
                while i < chars.len() && at(i) != '"' {
                    if at(i) == '\\' {
                        text.push(at(i + 1));
                        i += 2;
                    } else {
                        text.push(at(i));
                        i += 1;
                    }
                }
                i += 1;
                literals.push((start, text));
                blank(&mut code, start, i);
            }
            ('\'', '\\') => {
                i += 2;
                while i < chars.len() && at(i) != '\'' {
                    i += 1;
                }
                i += 1;
                blank(&mut code, start, i);
            }
            ('\'', _) if at(i + 2) == '\'' => {
                i += 3;
                blank(&mut code, start, i);
            }
            _ => i += 1,
        }
    }
    (code, literals)
}

fn blank(code: &mut [char], from: usize, to: usize) {
    let to = to.min(code.len());
    for c in &mut code[from..to] {
        *c = ' ';
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Offset ranges of `#[cfg(test)]` modules with a body, in code already stripped of
/// comments and literals.
fn test_modules(code: &[char]) -> Vec<std::ops::Range<usize>> {
    let text: String = code.iter().collect();
    let offsets: Vec<usize> = text.char_indices().map(|(byte, _)| byte).collect();
    let char_at = |byte: usize| offsets.partition_point(|b| *b < byte);
    let mut ranges = Vec::new();
    for (byte, _) in text.match_indices("#[cfg(test)]") {
        let start = char_at(byte);
        let mut rest = text[byte + "#[cfg(test)]".len()..].trim_start();
        while rest.starts_with("#[") {
            let Some(end) = rest.find(']') else { break };
            rest = rest[end + 1..].trim_start();
        }
        for visibility in ["pub(crate) ", "pub(super) ", "pub "] {
            rest = rest.strip_prefix(visibility).unwrap_or(rest);
        }
        let Some(declaration) = rest.strip_prefix("mod ") else {
            continue;
        };
        let head = declaration.split(['{', ';']).next().unwrap_or_default();
        if declaration[head.len()..].starts_with(';') {
            continue;
        }
        let open = char_at(text.len() - declaration.len() + head.len());
        let mut depth = 0;
        let mut end = code.len();
        for (offset, c) in code.iter().enumerate().skip(open) {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => continue,
            }
            if depth == 0 {
                end = offset + 1;
                break;
            }
        }
        ranges.push(start..end);
    }
    ranges
}
