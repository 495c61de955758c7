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
    /// Backend name → enabled.
    backends: BTreeMap<String, bool>,
}

#[derive(Debug)]
pub struct Overrides {
    path: PathBuf,
    backends: BTreeMap<String, bool>,
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

    pub fn get(&self, backend: &str) -> Option<bool> {
        self.backends.get(backend).copied()
    }

    /// Records and saves an override. On error nothing changes, in memory or on disk.
    pub fn set(&mut self, backend: &str, enabled: bool) -> Result<(), SaveError> {
        let mut next = self.backends.clone();
        next.insert(backend.to_owned(), enabled);
        self.save(&next)?;
        self.backends = next;
        Ok(())
    }

    fn save(&self, backends: &BTreeMap<String, bool>) -> Result<(), SaveError> {
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
        assert_eq!(overrides.get("a"), None);
        overrides.set("a", true).unwrap();
        overrides.set("b", false).unwrap();
        let again = Overrides::load(dir.path());
        assert_eq!((again.get("a"), again.get("b")), (Some(true), Some(false)));

        std::fs::write(dir.path().join(FILE_NAME), "{ not json").unwrap();
        let fresh = Overrides::load(dir.path());
        assert_eq!(fresh.get("a"), None);
        let aside = std::fs::read_to_string(dir.path().join("enabled.json.unreadable")).unwrap();
        assert_eq!(aside, "{ not json");
    }

    #[test]
    fn a_failed_save_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        // The state "directory" is a file: nothing can be created inside it.
        let blocker = dir.path().join("state");
        std::fs::write(&blocker, "").unwrap();
        let mut overrides = Overrides::load(&blocker);
        let error = overrides.set("a", true).unwrap_err();
        assert!(error.to_string().contains("state_dir"), "{error}");
        assert_eq!(overrides.get("a"), None);
    }
}
