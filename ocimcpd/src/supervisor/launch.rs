//! From a stdio spec to exactly what gets exec'd: program, arguments, working directory
//! and a clean environment. Pure apart from file-existence checks, so it is unit-tested.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::config::StdioSpec;

/// Variables a child inherits from the daemon; everything else comes from its spec.
pub const INHERITED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "TMPDIR",
];

/// PATH for a child when the daemon has none.
const FALLBACK_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Everything needed to start one backend process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchPlan {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// The complete environment (the child starts from an empty one).
    pub env: BTreeMap<String, String>,
}

/// Why a backend could not be launched; each says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    #[error(
        "venv {venv} has no bin/python: create it with `python3 -m venv {venv}`, or fix `venv`"
    )]
    VenvPythonMissing { venv: String },
    #[error(
        "command `{command}` not found in PATH ({path}): install it, or set `command` to an absolute path"
    )]
    CommandNotFound { command: String, path: String },
    #[error("command {path} does not exist or is not executable")]
    NotExecutable { path: String },
    #[error("working directory {cwd} does not exist or is not a directory: fix `cwd`")]
    BadCwd { cwd: String },
}

/// Builds the launch plan; `daemon_env` reads the daemon's own environment.
pub fn plan(
    spec: &StdioSpec,
    daemon_env: impl Fn(&str) -> Option<OsString>,
) -> Result<LaunchPlan, LaunchError> {
    let mut env: BTreeMap<String, String> = INHERITED_ENV
        .iter()
        .filter_map(|&key| Some((key.to_owned(), daemon_env(key)?.into_string().ok()?)))
        .collect();
    env.entry("PATH".to_owned())
        .or_insert_with(|| FALLBACK_PATH.to_owned());
    for (key, value) in &spec.env {
        env.insert(key.clone(), value.clone());
    }

    if let Some(venv) = &spec.venv {
        let bin = venv.join("bin");
        let path = env.get("PATH").map_or(String::new(), |p| format!(":{p}"));
        env.insert("PATH".to_owned(), format!("{}{path}", bin.display()));
        env.insert("VIRTUAL_ENV".to_owned(), venv.display().to_string());
        env.remove("PYTHONHOME");
    }

    if let Some(cwd) = &spec.cwd
        && !cwd.is_dir()
    {
        return Err(LaunchError::BadCwd {
            cwd: cwd.display().to_string(),
        });
    }

    // Relative PYTHONPATH entries are taken from the backend's working directory (or, with
    // no `cwd`, from the folder of the file that defined it), then any PYTHONPATH in `env`.
    if !spec.pythonpath.is_empty() {
        let anchor = spec.cwd.as_deref().unwrap_or(&spec.base_dir);
        let mut entries: Vec<String> = spec
            .pythonpath
            .iter()
            .map(|p| anchor.join(p).display().to_string())
            .collect();
        if let Some(existing) = env.get("PYTHONPATH").filter(|p| !p.is_empty()) {
            entries.push(existing.clone());
        }
        env.insert("PYTHONPATH".to_owned(), entries.join(":"));
    }

    let program = program(spec, env.get("PATH").map_or("", String::as_str))?;
    Ok(LaunchPlan {
        program,
        args: spec.args.clone(),
        cwd: spec.cwd.clone(),
        env,
    })
}

fn program(spec: &StdioSpec, path: &str) -> Result<PathBuf, LaunchError> {
    let command = spec.command.as_deref();
    if let Some(venv) = &spec.venv
        && matches!(command, None | Some("python" | "python3"))
    {
        let python = venv.join("bin").join("python");
        return if is_executable(&python) {
            Ok(python)
        } else {
            Err(LaunchError::VenvPythonMissing {
                venv: venv.display().to_string(),
            })
        };
    }
    // Validation guarantees a command when there is no venv.
    let command = command.unwrap_or("python3");
    if command.contains('/') {
        let candidate = spec.base_dir.join(command);
        return if is_executable(&candidate) {
            Ok(candidate)
        } else {
            Err(LaunchError::NotExecutable {
                path: candidate.display().to_string(),
            })
        };
    }
    path.split(':')
        .filter(|dir| !dir.is_empty())
        .map(|dir| Path::new(dir).join(command))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| LaunchError::CommandNotFound {
            command: command.to_owned(),
            path: path.to_owned(),
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn spec(dir: &Path) -> StdioSpec {
        StdioSpec {
            command: None,
            args: vec!["-m".into(), "srv".into()],
            cwd: None,
            venv: None,
            pythonpath: Vec::new(),
            env: BTreeMap::new(),
            base_dir: dir.to_path_buf(),
        }
    }

    fn executable(path: &Path) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "#!/bin/sh\n").unwrap();
        fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn daemon_env(key: &str) -> Option<OsString> {
        match key {
            "PATH" => Some("/usr/bin:/bin".into()),
            "HOME" => Some("/home/op".into()),
            "SECRET_TOKEN" | "PYTHONPATH" => Some("leak".into()),
            _ => None,
        }
    }

    #[test]
    fn venv_python_and_clean_environment() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        executable(&venv.join("bin/python"));
        let proj = dir.path().join("proj");
        fs::create_dir(&proj).unwrap();
        let mut spec = spec(dir.path());
        spec.command = Some("python3".into());
        spec.venv = Some(venv.clone());
        spec.cwd = Some(proj.clone());
        spec.pythonpath = vec!["src".into(), "/opt/lib".into()];
        spec.env.insert("PYTHONPATH".into(), "/extra".into());
        spec.env.insert("MODE".into(), "test".into());

        let plan = plan(&spec, daemon_env).unwrap();
        assert_eq!(plan.program, venv.join("bin/python"));
        assert_eq!(plan.cwd.as_deref(), Some(proj.as_path()));
        assert_eq!(
            plan.env["PATH"],
            format!("{}:/usr/bin:/bin", venv.join("bin").display())
        );
        assert_eq!(plan.env["VIRTUAL_ENV"], venv.display().to_string());
        assert_eq!(
            plan.env["PYTHONPATH"],
            format!("{}:/opt/lib:/extra", proj.join("src").display())
        );
        assert_eq!(plan.env["HOME"], "/home/op");
        assert_eq!(plan.env["MODE"], "test");
        assert!(!plan.env.contains_key("SECRET_TOKEN"));
    }

    #[test]
    fn venv_without_python_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.venv = Some(dir.path().join("nope"));
        let err = plan(&spec, daemon_env).unwrap_err();
        assert!(
            matches!(err, LaunchError::VenvPythonMissing { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("python3 -m venv"));
    }

    #[test]
    fn commands_resolve_through_the_child_path() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("tools");
        executable(&bin.join("mcp-thing"));
        let mut spec = spec(dir.path());
        spec.command = Some("mcp-thing".into());
        spec.env.insert("PATH".into(), bin.display().to_string());
        assert_eq!(
            plan(&spec, daemon_env).unwrap().program,
            bin.join("mcp-thing")
        );

        spec.command = Some("no-such-command-here".into());
        let err = plan(&spec, daemon_env).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("command `no-such-command-here` not found in PATH"),
            "{err}"
        );

        spec.command = Some("./tools/mcp-thing".into());
        assert_eq!(
            plan(&spec, daemon_env).unwrap().program,
            dir.path().join("./tools/mcp-thing")
        );
    }

    #[test]
    fn missing_cwd_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.command = Some("sh".into());
        spec.cwd = Some(dir.path().join("gone"));
        assert!(matches!(
            plan(&spec, daemon_env),
            Err(LaunchError::BadCwd { .. })
        ));
    }
}
