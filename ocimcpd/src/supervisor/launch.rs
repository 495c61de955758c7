//! From a stdio spec to exactly what gets exec'd: program, arguments, working directory,
//! a clean environment, and the user and group to run as. Pure apart from file-existence
//! checks and account lookups, so it is unit-tested.

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
    /// Who the child runs as, when not as the daemon (`user`, `group`).
    pub credentials: Option<Credentials>,
}

/// A user and groups to switch to between fork and exec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// The supplementary groups (the user's, from the group database; else just `gid`).
    pub groups: Vec<u32>,
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
    #[error("`{key} = \"{name}\"`: no such {key} on this machine; create it, or fix `{key}`")]
    UnknownAccount { key: &'static str, name: String },
    #[error(
        "`user = \"{name}\"` is uid {uid}, which has no entry in the user database: set `group` too"
    )]
    NoPrimaryGroup { name: String, uid: u32 },
    #[error(
        "cannot run as {target}: the daemon (uid {uid}) may not switch users (that needs root, or CAP_SETUID and CAP_SETGID); remove `user`/`group`, or run the daemon with that privilege (docs/backends.md, \"Trust boundary\")"
    )]
    CannotSwitch { target: String, uid: u32 },
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
    let account = account(spec, &Daemon::this())?;
    if let Some(user) = &account.user {
        // The child's own HOME and names, not the daemon's.
        env.insert("HOME".to_owned(), user.dir.display().to_string());
        env.insert("USER".to_owned(), user.name.clone());
        env.insert("LOGNAME".to_owned(), user.name.clone());
    }
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
        credentials: account.credentials,
    })
}

/// Who the daemon is, and whether it may become someone else.
#[derive(Debug, Clone)]
struct Daemon {
    uid: u32,
    gid: u32,
    may_switch: bool,
}

impl Daemon {
    fn this() -> Self {
        Self {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            may_switch: may_switch_users(),
        }
    }
}

/// Root, or a process with CAP_SETUID and CAP_SETGID in its effective set (a root service
/// with an empty capability bounding set has neither).
fn may_switch_users() -> bool {
    const CAP_SETGID: u32 = 6;
    const CAP_SETUID: u32 = 7;
    let effective = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("CapEff:"))?;
            u64::from_str_radix(line.trim_start_matches("CapEff:").trim(), 16).ok()
        });
    match effective {
        Some(caps) => caps & (1 << CAP_SETGID) != 0 && caps & (1 << CAP_SETUID) != 0,
        None => nix::unistd::geteuid().is_root(),
    }
}

/// The account a backend runs as: its user's database entry (for HOME and names) and the
/// credentials to switch to, or none of either for the daemon's own.
#[derive(Debug, Default)]
struct Account {
    user: Option<nix::unistd::User>,
    credentials: Option<Credentials>,
}

fn account(spec: &StdioSpec, daemon: &Daemon) -> Result<Account, LaunchError> {
    use nix::unistd::{Gid, Group, Uid, User};
    if spec.user.is_none() && spec.group.is_none() {
        return Ok(Account::default());
    }
    let unknown = |key, name: &str| LaunchError::UnknownAccount {
        key,
        name: name.to_owned(),
    };
    let user = match &spec.user {
        None => None,
        Some(name) => Some(match name.parse::<u32>() {
            Ok(uid) => (uid, User::from_uid(Uid::from_raw(uid)).ok().flatten()),
            Err(_) => {
                let entry = User::from_name(name)
                    .ok()
                    .flatten()
                    .ok_or_else(|| unknown("user", name))?;
                (entry.uid.as_raw(), Some(entry))
            }
        }),
    };
    let group = match &spec.group {
        None => None,
        Some(name) => Some(match name.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => Group::from_name(name)
                .ok()
                .flatten()
                .ok_or_else(|| unknown("group", name))?
                .gid
                .as_raw(),
        }),
    };
    let uid = user.as_ref().map_or(daemon.uid, |(uid, _)| *uid);
    let gid = match (group, &user) {
        (Some(gid), _) => gid,
        (None, Some((_, Some(entry)))) => entry.gid.as_raw(),
        (None, Some((uid, None))) => {
            return Err(LaunchError::NoPrimaryGroup {
                name: spec.user.clone().unwrap_or_default(),
                uid: *uid,
            });
        }
        (None, None) => daemon.gid,
    };
    let entry = user.and_then(|(_, entry)| entry);
    if uid == daemon.uid && gid == daemon.gid {
        // Already that account: nothing to switch, no privilege needed.
        return Ok(Account {
            user: entry,
            credentials: None,
        });
    }
    if !daemon.may_switch {
        let target = match (&spec.user, &spec.group) {
            (Some(user), Some(group)) => format!("user `{user}` and group `{group}`"),
            (Some(user), None) => format!("user `{user}`"),
            (None, group) => format!("group `{}`", group.as_deref().unwrap_or_default()),
        };
        return Err(LaunchError::CannotSwitch {
            target,
            uid: daemon.uid,
        });
    }
    // The user's own supplementary groups (as a login would get), else only `gid`: never
    // the daemon's, which include the socket group.
    let groups = match &entry {
        Some(entry) => std::ffi::CString::new(entry.name.clone())
            .ok()
            .and_then(|name| nix::unistd::getgrouplist(&name, Gid::from_raw(gid)).ok())
            .map(|groups| groups.into_iter().map(Gid::as_raw).collect())
            .unwrap_or_else(|| vec![gid]),
        None => vec![gid],
    };
    Ok(Account {
        user: entry,
        credentials: Some(Credentials { uid, gid, groups }),
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
            user: None,
            group: None,
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

    fn daemon(may_switch: bool) -> Daemon {
        Daemon {
            uid: 4242,
            gid: 4242,
            may_switch,
        }
    }

    #[test]
    fn no_user_or_group_runs_as_the_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let account = account(&spec(dir.path()), &daemon(false)).unwrap();
        assert!(account.credentials.is_none() && account.user.is_none());
    }

    #[test]
    fn a_daemon_that_may_not_switch_users_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.user = Some("root".into());
        let err = account(&spec, &daemon(false)).unwrap_err();
        assert!(matches!(err, LaunchError::CannotSwitch { .. }), "{err}");
        assert!(
            err.to_string().starts_with(
                "cannot run as user `root`: the daemon (uid 4242) may not switch users"
            ),
            "{err}"
        );
        spec.user = None;
        spec.group = Some("0".into());
        let err = account(&spec, &daemon(false)).unwrap_err();
        assert!(err.to_string().contains("cannot run as group `0`"), "{err}");
    }

    #[test]
    fn the_daemons_own_account_needs_no_privilege() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.user = Some("4242".into());
        spec.group = Some("4242".into());
        let account = account(&spec, &daemon(false)).unwrap();
        assert!(account.credentials.is_none());
    }

    #[test]
    fn names_and_numbers_resolve_to_credentials() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.user = Some("root".into());
        let root = account(&spec, &daemon(true)).unwrap();
        let credentials = root.credentials.unwrap();
        assert_eq!((credentials.uid, credentials.gid), (0, 0));
        assert!(credentials.groups.contains(&0));
        assert_eq!(root.user.unwrap().name, "root");

        spec.user = Some("4243".into());
        spec.group = Some("4244".into());
        let numeric = account(&spec, &daemon(true)).unwrap().credentials.unwrap();
        assert_eq!(
            numeric,
            Credentials {
                uid: 4243,
                gid: 4244,
                groups: vec![4244]
            }
        );

        // A uid with no user entry has no primary group to fall back on.
        spec.group = None;
        let err = account(&spec, &daemon(true)).unwrap_err();
        assert!(
            matches!(err, LaunchError::NoPrimaryGroup { uid: 4243, .. }),
            "{err}"
        );
    }

    #[test]
    fn unknown_names_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.user = Some("no-such-user-ocimcp-test".into());
        let err = account(&spec, &daemon(true)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`user = \"no-such-user-ocimcp-test\"`: no such user on this machine; create it, or fix `user`"
        );
        spec.user = None;
        spec.group = Some("no-such-group-ocimcp-test".into());
        let err = account(&spec, &daemon(true)).unwrap_err();
        assert!(err.to_string().contains("no such group"), "{err}");
    }

    #[test]
    fn a_switched_child_gets_its_users_home_unless_env_says_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let mut spec = spec(dir.path());
        spec.command = Some("sh".into());
        spec.user = Some("root".into());
        if !may_switch_users() && !nix::unistd::geteuid().is_root() {
            assert!(matches!(
                plan(&spec, daemon_env),
                Err(LaunchError::CannotSwitch { .. })
            ));
            return;
        }
        let plan = plan(&spec, daemon_env).unwrap();
        assert_eq!(plan.env["HOME"], "/root");
        assert_eq!(plan.env["USER"], "root");
        spec.env.insert("HOME".into(), "/srv/x".into());
        assert_eq!(
            super::plan(&spec, daemon_env).unwrap().env["HOME"],
            "/srv/x"
        );
    }
}
