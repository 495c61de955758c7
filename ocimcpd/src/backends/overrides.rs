//! `ocimcpctl enable/disable`, remembered across daemon restarts in
//! `<state_dir>/enabled.json`. They win over a spec's `enabled` without touching the
//! operator's files. Every change is written atomically (temp file, fsync, rename, fsync
//! of the folder), so a crash leaves the old file or the new one, never half of one.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The state file's name inside the state directory.
pub const FILE_NAME: &str = "enabled.json";

#[derive(Debug, thiserror::Error)]
#[error(
    "cannot save the enable/disable state to {path}: {source}; check that the state directory ([daemon] state_dir) is writable by the daemon's user"
)]
pub struct SaveError {
    path: PathBuf,
    source: std::io::Error,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    backends: BTreeMap<String, Override>,
}

/// One backend's override: `true`/`false` for a configured backend; for a discovered one,
/// also the file it was found in, so that another project that later gets the same name
/// (an earlier-sorted folder, a removed one) does not inherit it, and a digest of what it
/// runs, so that a project whose command, args, env or venv change is not run on trust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum Override {
    ByName(bool),
    BySource {
        enabled: bool,
        source: PathBuf,
        /// `None` in state files from before launches were pinned.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        launch: Option<String>,
    },
}

/// What an override says about a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Enabled(bool),
    /// Enabled for a launch that has since changed (or was not recorded): not trusted.
    Changed,
}

/// A discovered backend as an override sees it: where it was found and what it runs.
#[derive(Debug, Clone, Copy)]
pub struct Found<'a> {
    pub source: &'a Path,
    pub launch: &'a str,
}

#[derive(Debug)]
pub struct Overrides {
    path: PathBuf,
    backends: BTreeMap<String, Override>,
}

impl Overrides {
    /// Reads the state file in `state_dir`. A missing file means no overrides; one that
    /// cannot be read as JSON is set aside (renamed `enabled.json.unreadable`) with a
    /// warning, never overwritten in place.
    pub fn load(state_dir: &Path) -> Self {
        let path = state_dir.join(FILE_NAME);
        let backends = match std::fs::read(&path) {
            Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
                Ok(file) => file.backends,
                Err(e) => {
                    let aside = path.with_extension("json.unreadable");
                    tracing::warn!(
                        "{} is not a valid state file ({e}); moving it to {} and starting without enable/disable overrides",
                        path.display(),
                        aside.display()
                    );
                    if let Err(e) = std::fs::rename(&path, &aside) {
                        tracing::warn!("moving {} aside failed: {e}", path.display());
                    }
                    BTreeMap::new()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => {
                tracing::warn!(
                    "cannot read {} ({e}); starting without enable/disable overrides",
                    path.display()
                );
                BTreeMap::new()
            }
        };
        Self { path, backends }
    }

    /// The override for `backend`, if one was set for it (and, when it was bound to a
    /// source file, for the backend from that same file); an enabled discovered backend
    /// that runs something other than what was enabled is [`Verdict::Changed`].
    pub fn get(&self, backend: &str, found: Option<Found<'_>>) -> Option<Verdict> {
        match self.backends.get(backend)? {
            Override::ByName(enabled) => Some(Verdict::Enabled(*enabled)),
            Override::BySource {
                enabled,
                source: bound,
                launch,
            } => {
                let found = found.filter(|f| f.source == bound.as_path())?;
                if *enabled && launch.as_deref() != Some(found.launch) {
                    Some(Verdict::Changed)
                } else {
                    Some(Verdict::Enabled(*enabled))
                }
            }
        }
    }

    /// Records and saves an override, bound to where a discovered backend was found and
    /// what it runs, when given. On error nothing changes, in memory or on disk.
    pub fn set(
        &mut self,
        backend: &str,
        enabled: bool,
        found: Option<Found<'_>>,
    ) -> Result<(), SaveError> {
        let mut next = self.backends.clone();
        let value = match found {
            Some(found) => Override::BySource {
                enabled,
                source: found.source.to_path_buf(),
                launch: Some(found.launch.to_owned()),
            },
            None => Override::ByName(enabled),
        };
        next.insert(backend.to_owned(), value);
        self.save(&next)?;
        self.backends = next;
        Ok(())
    }

    fn save(&self, backends: &BTreeMap<String, Override>) -> Result<(), SaveError> {
        let fail = |source| SaveError {
            path: self.path.clone(),
            source,
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(fail)?;
        let mut text = serde_json::to_vec_pretty(&StateFile {
            backends: backends.clone(),
        })
        .map_err(|e| fail(e.into()))?;
        text.push(b'\n');
        let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
        temp.write_all(&text).map_err(fail)?;
        temp.as_file().sync_all().map_err(fail)?;
        temp.persist(&self.path).map_err(|e| fail(e.error))?;
        // The rename itself is durable only once the folder is.
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(fail)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_survive_a_reload_and_unreadable_files_are_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let mut overrides = Overrides::load(dir.path());
        assert_eq!(overrides.get("a", None), None);
        overrides.set("a", true, None).unwrap();
        overrides.set("b", false, None).unwrap();
        let found = Found {
            source: Path::new("/srv/mcp/b/.mcp.json"),
            launch: "digest-1",
        };
        overrides.set("c", true, Some(found)).unwrap();
        let again = Overrides::load(dir.path());
        assert_eq!(
            (again.get("a", None), again.get("b", None)),
            (Some(Verdict::Enabled(true)), Some(Verdict::Enabled(false)))
        );
        assert_eq!(again.get("c", Some(found)), Some(Verdict::Enabled(true)));
        // Another project that got the same name does not inherit it.
        let elsewhere = Found {
            source: Path::new("/srv/mcp/a/.mcp.json"),
            ..found
        };
        assert_eq!(again.get("c", Some(elsewhere)), None);
        // The same project running something else is not trusted.
        let changed = Found {
            launch: "digest-2",
            ..found
        };
        assert_eq!(again.get("c", Some(changed)), Some(Verdict::Changed));

        std::fs::write(dir.path().join(FILE_NAME), "{ not json").unwrap();
        let fresh = Overrides::load(dir.path());
        assert_eq!(fresh.get("a", None), None);
        let aside = std::fs::read_to_string(dir.path().join("enabled.json.unreadable")).unwrap();
        assert_eq!(aside, "{ not json");
    }

    #[test]
    fn an_override_from_before_launches_were_pinned_is_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(FILE_NAME),
            r#"{"backends": {"c": {"enabled": true, "source": "/srv/mcp/c/.mcp.json"}, "d": {"enabled": false, "source": "/srv/mcp/d/.mcp.json"}}}"#,
        )
        .unwrap();
        let overrides = Overrides::load(dir.path());
        let found = |source| Found {
            source: Path::new(source),
            launch: "digest",
        };
        assert_eq!(
            overrides.get("c", Some(found("/srv/mcp/c/.mcp.json"))),
            Some(Verdict::Changed)
        );
        assert_eq!(
            overrides.get("d", Some(found("/srv/mcp/d/.mcp.json"))),
            Some(Verdict::Enabled(false))
        );
    }

    #[test]
    fn a_failed_save_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The state "directory" is a file: nothing can be created inside it.
        let blocker = dir.path().join("state");
        std::fs::write(&blocker, "").unwrap();
        let mut overrides = Overrides::load(&blocker);
        let error = overrides.set("a", true, None).unwrap_err();
        assert!(error.to_string().contains("state_dir"), "{error}");
        assert_eq!(overrides.get("a", None), None);
    }
}
