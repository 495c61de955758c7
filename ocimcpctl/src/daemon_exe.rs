//! Finding the `ocimcpd` executable, for the command that needs the daemon's own code
//! but no running daemon (`check-config` runs `ocimcpd --check-config`). The CLI does not
//! link the daemon: one validator, in one binary.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The daemon's executable name.
pub const OCIMCPD: &str = "ocimcpd";

/// `ocimcpd` is neither beside `ocimcpctl` nor on `PATH`.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot find `{OCIMCPD}`: it is not beside ocimcpctl ({beside}) nor in any folder of PATH ({path}); install the ocimcpd package, or put ocimcpd on PATH"
)]
pub struct NotFound {
    /// The folder of the running `ocimcpctl`, as shown.
    beside: String,
    /// `PATH`, as shown.
    path: String,
}

/// `ocimcpd` in the folder of the running `ocimcpctl` (the packages install both in one
/// folder, and a build puts both in `target/<profile>/`), else the first on `PATH`.
pub fn find() -> Result<PathBuf, NotFound> {
    let exe = std::env::current_exe().ok();
    let beside = exe.as_deref().and_then(Path::parent);
    find_in(beside, std::env::var_os("PATH").as_deref())
}

/// [`find`], given the folder of `ocimcpctl` (when known) and `PATH`.
pub fn find_in(beside: Option<&Path>, path: Option<&OsStr>) -> Result<PathBuf, NotFound> {
    let candidates = beside
        .map(Path::to_path_buf)
        .into_iter()
        .chain(path.into_iter().flat_map(std::env::split_paths))
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(OCIMCPD));
    for candidate in candidates {
        if is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    Err(NotFound {
        beside: beside.map_or_else(
            || "its folder is unknown".to_owned(),
            |dir| dir.display().to_string(),
        ),
        path: match path {
            Some(path) if !path.is_empty() => path.to_string_lossy().into_owned(),
            _ => "PATH is not set".to_owned(),
        },
    })
}

/// A regular file (or a link to one) that someone may execute.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path, mode: u32) {
        std::fs::write(path, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn beside_wins_over_path() {
        let beside = tempfile::tempdir().expect("tempdir");
        let on_path = tempfile::tempdir().expect("tempdir");
        touch(&beside.path().join(OCIMCPD), 0o755);
        touch(&on_path.path().join(OCIMCPD), 0o755);
        let path = std::env::join_paths([on_path.path()]).expect("PATH");
        let found = find_in(Some(beside.path()), Some(&path)).expect("found");
        assert_eq!(found, beside.path().join(OCIMCPD));
    }

    #[test]
    fn path_is_searched_in_order_skipping_what_cannot_run() {
        let beside = tempfile::tempdir().expect("tempdir");
        let first = tempfile::tempdir().expect("tempdir");
        let second = tempfile::tempdir().expect("tempdir");
        // Beside, but not executable; first on PATH, a folder of that name.
        touch(&beside.path().join(OCIMCPD), 0o644);
        std::fs::create_dir(first.path().join(OCIMCPD)).expect("mkdir");
        touch(&second.path().join(OCIMCPD), 0o755);
        let path = std::env::join_paths([first.path(), second.path()]).expect("PATH");
        let found = find_in(Some(beside.path()), Some(&path)).expect("found");
        assert_eq!(found, second.path().join(OCIMCPD));
    }

    #[test]
    fn not_found_names_where_it_looked() {
        let beside = tempfile::tempdir().expect("tempdir");
        let path = std::env::join_paths([Path::new("/nonexistent/bin")]).expect("PATH");
        let error = find_in(Some(beside.path()), Some(&path))
            .expect_err("nothing there")
            .to_string();
        assert!(
            error.contains(&beside.path().display().to_string()),
            "{error}"
        );
        assert!(error.contains("/nonexistent/bin"), "{error}");
        let error = find_in(None, None).expect_err("nowhere").to_string();
        assert!(error.contains("PATH is not set"), "{error}");
    }
}
