use std::collections::HashSet;
use std::fs;
use std::path::Path;

use super::*;
use crate::config::{DISCOVERED_TAG, Transport};

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn fake_venv(dir: &Path) {
    write(&dir.join("pyvenv.cfg"), "home = /usr/bin\n");
    write(&dir.join("bin/python"), "");
}

const FASTMCP: &str = "from fastmcp import FastMCP\nmcp = FastMCP(\"x\")\nmcp.run()\n";

#[test]
fn finds_the_three_kinds_of_project_and_skips_the_rest() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(
        &r.join("desk/.mcp.json"),
        r#"{"mcpServers": {"Files Server": {"command": "npx", "args": ["-y", "fs"], "env": {"A": "1"}},
            "remote": {"url": "https://example.com/mcp", "headers": {"X-Key": "k"}}}}"#,
    );
    write(
        &r.join("weather/pyproject.toml"),
        "[project]\nname = \"weather\"\n[project.scripts]\nweather-mcp = \"weather.server:main\"\nother = \"weather.cli:run\"\n",
    );
    fs::create_dir_all(r.join("weather/src/weather")).unwrap();
    write(&r.join("plain/server.py"), FASTMCP);
    fake_venv(&r.join("plain/.venv"));
    write(&r.join("pkg/src/tool_pkg/server.py"), FASTMCP);
    // Not projects, or not entered.
    write(&r.join("notes/main.py"), "print('hello')\n");
    write(&r.join("node_modules/x/server.py"), FASTMCP);
    write(&r.join(".hidden/server.py"), FASTMCP);
    write(&r.join("a/b/server.py"), FASTMCP);

    let scan = scan(&[r.to_path_buf()], &HashSet::new());
    let names: Vec<&str> = scan.found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        ["files-server", "remote", "pkg", "plain", "weather-mcp"],
        "{scan:?}"
    );

    let specs: Vec<_> = scan
        .found
        .into_iter()
        .map(|f| f.into_spec().unwrap())
        .collect();
    for spec in &specs {
        assert!(!spec.enabled, "discovered backends start disabled");
        assert_eq!(spec.tags, [DISCOVERED_TAG]);
    }
    let Transport::Stdio(files) = &specs[0].transport else {
        panic!("stdio expected")
    };
    assert_eq!(files.command.as_deref(), Some("npx"));
    assert_eq!(files.env["A"], "1");
    let Transport::StreamableHttp(remote) = &specs[1].transport else {
        panic!("http expected")
    };
    assert_eq!(remote.headers["X-Key"], "k");

    let Transport::Stdio(pkg) = &specs[2].transport else {
        panic!()
    };
    assert_eq!(pkg.args, ["-m", "tool_pkg.server"]);
    assert_eq!(pkg.pythonpath, ["src"]);

    let Transport::Stdio(plain) = &specs[3].transport else {
        panic!()
    };
    assert_eq!(plain.command, None, "the venv's python runs it");
    assert_eq!(plain.venv.as_deref(), Some(r.join("plain/.venv").as_path()));
    assert_eq!(plain.args, ["server.py"]);

    let Transport::Stdio(weather) = &specs[4].transport else {
        panic!()
    };
    assert_eq!(weather.command.as_deref(), Some("python3"));
    assert!(weather.args[1].contains("from weather.server import main"));
    assert_eq!(weather.pythonpath, ["src"]);
}

#[test]
fn names_are_sanitized_and_unique_and_avoid_configured_ones() {
    let root = tempfile::tempdir().unwrap();
    write(
        &root.path().join("one/.mcp.json"),
        r#"{"mcpServers": {"tools": {"command": "a"}, "Tools!": {"command": "b"}, "__x": {"command": "c"}}}"#,
    );
    let taken: HashSet<String> = ["tools".to_owned()].into();
    let scan = scan(&[root.path().to_path_buf()], &taken);
    let names: Vec<&str> = scan.found.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["tools-2", "x", "tools-3"], "{scan:?}");
}

#[test]
fn a_broken_mcp_json_and_a_missing_root_are_noted_not_fatal() {
    let root = tempfile::tempdir().unwrap();
    write(&root.path().join("bad/.mcp.json"), "{ nope");
    write(&root.path().join("good/app.py"), FASTMCP);
    let scan = scan(
        &[root.path().to_path_buf(), root.path().join("missing")],
        &HashSet::new(),
    );
    assert_eq!(scan.found.len(), 1);
    assert_eq!(scan.notes.len(), 2, "{:?}", scan.notes);
    assert!(scan.notes[0].contains("not a valid MCP server list"));
    assert!(scan.notes[1].contains("cannot be read"));
}

#[test]
fn projects_others_could_have_written_are_skipped_with_the_reason() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let mcp_json = r#"{"mcpServers": {"tool": {"command": "npx"}}}"#;
    // A trusted project, for contrast.
    write(&r.join("good/.mcp.json"), mcp_json);
    // A folder anyone may write to.
    write(&r.join("open/.mcp.json"), mcp_json);
    fs::set_permissions(r.join("open"), fs::Permissions::from_mode(0o777)).unwrap();
    // A project file the group may write to.
    write(&r.join("shared/.mcp.json"), mcp_json);
    fs::set_permissions(
        r.join("shared/.mcp.json"),
        fs::Permissions::from_mode(0o664),
    )
    .unwrap();
    // A project file that is a link to somewhere else.
    write(&r.join("elsewhere.json"), mcp_json);
    fs::create_dir_all(r.join("linked")).unwrap();
    std::os::unix::fs::symlink(r.join("elsewhere.json"), r.join("linked/.mcp.json")).unwrap();
    // A venv others may write to (reached through a link): its python would run.
    write(&r.join("py/server.py"), FASTMCP);
    let shared = tempfile::tempdir().unwrap();
    fake_venv(shared.path());
    fs::set_permissions(shared.path(), fs::Permissions::from_mode(0o757)).unwrap();
    std::os::unix::fs::symlink(shared.path(), r.join("py/.venv")).unwrap();

    let scan = scan(&[r.to_path_buf()], &HashSet::new());
    let found: Vec<String> = scan
        .found
        .iter()
        .map(|f| f.evidence.display().to_string())
        .collect();
    assert_eq!(
        found,
        [r.join("good/.mcp.json").display().to_string()],
        "{scan:?}"
    );
    let notes = scan.notes.join("\n");
    for (path, why) in [
        ("open", "others may write to it (mode 0777)"),
        ("shared/.mcp.json", "others may write to it (mode 0664)"),
        ("linked/.mcp.json", "it is a symbolic link"),
        ("py/.venv", "others may write to it (mode 0757)"),
    ] {
        let expected = format!(
            "{} skipped: {why}, so what it says is not run",
            r.join(path).display()
        );
        assert!(
            notes.contains(&expected),
            "missing `{expected}` in:\n{notes}"
        );
    }

    // A scan root others may write to is skipped whole.
    fs::set_permissions(r, fs::Permissions::from_mode(0o777)).unwrap();
    let scan = super::scan(&[r.to_path_buf()], &HashSet::new());
    assert!(scan.found.is_empty(), "{scan:?}");
    assert!(
        scan.notes[0].contains("others may write to it (mode 0777)"),
        "{:?}",
        scan.notes
    );
}
