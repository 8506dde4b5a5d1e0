//! `firedrill validate`: the examples pass; every broken scenario fails with exit 2 and
//! an error naming the file, the line and what is wrong; nothing panics.

use std::path::Path;

use crate::support::*;

#[test]
fn every_example_is_valid() {
    let mut args = vec!["validate".to_owned()];
    args.extend(examples().iter().map(|p| p.display().to_string()));
    let output = firedrill(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("5 of 5 scenarios valid"),
        "{}",
        stdout(&output)
    );
}

/// What a fixture expects: its first line is `# expect line N: fragment` or
/// `# expect: fragment`; an empty fixture names its expectation in `<name>.expect`.
fn expectation(file: &Path) -> (Option<u64>, String) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let header = match text.lines().next() {
        Some(line) if line.starts_with("# expect") => line.to_owned(),
        _ => format!(
            "# expect: {}",
            std::fs::read_to_string(file.with_extension("expect"))
                .expect("an .expect file")
                .trim()
        ),
    };
    let (head, fragment) = header.split_once(": ").expect("`# expect…: fragment`");
    let line = head
        .strip_prefix("# expect line ")
        .map(|n| n.parse().expect("a line number"));
    (line, fragment.to_owned())
}

#[test]
fn every_broken_scenario_is_refused_with_file_line_and_reason() {
    let dir = root().join("tests/fixtures/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus holds {} broken scenarios", files.len());
    for file in &files {
        let relative = file.strip_prefix(root()).unwrap().display().to_string();
        let (line, fragment) = expectation(file);
        let output = firedrill(["validate", &relative]);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{relative}: exit code\n{err}");
        assert!(err.contains(&fragment), "{relative}: expected «{fragment}» in\n{err}");
        match line {
            Some(line) => assert!(
                err.contains(&format!("{relative}:{line}:")),
                "{relative}: expected line {line} in\n{err}"
            ),
            None => assert!(err.contains(&relative), "{relative}: the file is named in\n{err}"),
        }
        assert!(!err.contains("panicked"), "{relative}: panicked\n{err}");
        assert_every_problem_has_a_place_and_a_hint(&relative, line.is_some());
    }
    println!("{} broken scenarios refused", files.len());
}

/// In JSON, each problem of a file names its field's line and column (where the file
/// could be read that far) and says how to fix it.
fn assert_every_problem_has_a_place_and_a_hint(relative: &str, located: bool) {
    let output = firedrill(["validate", "--format", "json", relative]);
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON report");
    let problems = reports[0]["problems"].as_array().expect("problems");
    assert!(!problems.is_empty(), "{relative}: no problem reported");
    for problem in problems {
        assert!(problem["hint"].is_string(), "{relative}: no hint for {problem}");
        if located {
            assert!(
                problem["line"].is_u64() && problem["column"].is_u64(),
                "{relative}: no place for {problem}"
            );
        }
    }
}

/// Writes `bytes` as a scenario in a temporary folder and validates it.
fn validate_bytes(name: &str, bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    let output = firedrill(["validate".as_ref(), file.as_os_str()]);
    let err = stderr(&output);
    assert!(err.contains(&file.display().to_string()), "the file is named:\n{err}");
    assert!(!err.contains("panicked"), "{name} panicked:\n{err}");
    (output.status.code().unwrap_or(-1), err)
}

#[test]
fn a_file_over_the_size_limit_is_refused_unread() {
    let mut text = b"name: big\nowner: x\n".to_vec();
    text.resize(1024 * 1024 + 1, b'#');
    let (code, err) = validate_bytes("big.yaml", &text);
    assert_eq!(code, 2);
    assert!(err.contains("larger than 1024 KiB"), "{err}");
}

#[test]
fn binary_garbage_is_refused() {
    // A fixed pseudo-random stream (xorshift), so the test is the same on every run.
    let mut state: u32 = 0x9E37_79B9;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect();
    let (code, err) = validate_bytes("garbage.yaml", &bytes);
    assert_eq!(code, 2);
    assert!(err.contains("not UTF-8 text"), "{err}");
    let (code, _) = validate_bytes("nul.yaml", b"name: x\0\nowner: y\n");
    assert_eq!(code, 2);
}

#[test]
fn deeply_nested_input_is_refused_without_overflowing_the_stack() {
    let flow = format!("name: deep\nowner: {}\n", "[".repeat(100_000));
    let (code, err) = validate_bytes("deep-flow.yaml", flow.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("deep-flow.yaml:2:"), "{err}");
    let block: String = (0..500).map(|i| format!("{}k{i}:\n", "  ".repeat(i))).collect();
    let (code, err) = validate_bytes("deep-block.yaml", block.as_bytes());
    assert_eq!(code, 2);
    assert!(err.contains("deep-block.yaml:"), "{err}");
}

#[test]
fn every_problem_of_a_file_is_reported_at_once() {
    let output = firedrill([
        "validate",
        "--format",
        "json",
        "tests/fixtures/multi/several-problems.yaml",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let problems = reports[0]["problems"].as_array().unwrap();
    let lines: Vec<u64> = problems
        .iter()
        .map(|p| p["line"].as_u64().expect("each problem has a line"))
        .collect();
    assert_eq!(lines, vec![7, 13, 14, 21, 24, 25, 26, 30], "{problems:#?}");
    assert!(
        problems
            .iter()
            .all(|p| p["column"].as_u64().is_some() && p["message"].is_string())
    );

    let output = firedrill(["validate", "tests/fixtures/multi/several-structural-problems.yaml"]);
    let err = stderr(&output);
    for expected in [
        "unknown field `ownr`",
        "is not a duration",
        "must be a whole number",
        "unknown field `needz`",
    ] {
        assert!(err.contains(expected), "«{expected}» in\n{err}");
    }
}

#[test]
fn a_missing_file_is_invalid_input() {
    let output = firedrill(["validate", "scenarios/no-such-file.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read scenarios/no-such-file.yaml"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    assert_eq!(firedrill(["validate"]).status.code(), Some(2));
    assert_eq!(firedrill(["frobnicate"]).status.code(), Some(2));
    let help = firedrill(["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Exit codes"));
}

#[test]
fn the_readme_example_is_valid() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("```yaml\n# yaml-language-server")
        .expect("the annotated example")
        + "```yaml\n".len();
    let end = start + readme[start..].find("```").expect("closing fence");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("readme.yaml");
    std::fs::write(&file, &readme[start..end]).unwrap();
    let output = firedrill([
        "validate".as_ref(),
        file.as_os_str(),
        "--checks-dir".as_ref(),
        "checks".as_ref(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}
