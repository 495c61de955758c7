//! Backends found by discovery rather than written by an operator: turned into drafts and
//! validated exactly like written specs, starting disabled and tagged `discovered`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::BackendSpec;
use super::backend::Draft;
use super::error::{ConfigError, Location};
use super::span::At;

/// The tag every discovered backend carries.
pub const DISCOVERED_TAG: &str = "discovered";

/// A server discovery found in a project folder.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveredBackend {
    pub name: String,
    pub description: String,
    /// The file that identified it (`.mcp.json`, `pyproject.toml`, `server.py`, ...).
    pub evidence: PathBuf,
    pub launch: DiscoveredLaunch,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DiscoveredLaunch {
    Stdio {
        /// `None` runs the venv's python.
        command: Option<String>,
        args: Vec<String>,
        env: BTreeMap<String, String>,
        cwd: PathBuf,
        venv: Option<PathBuf>,
        pythonpath: Vec<String>,
    },
    Http {
        url: String,
        headers: BTreeMap<String, String>,
    },
}

impl DiscoveredBackend {
    /// The backend spec, disabled and tagged `discovered`, or why it is not valid.
    pub fn into_spec(self) -> Result<BackendSpec, ConfigError> {
        let file: Arc<Path> = Arc::from(self.evidence.as_path());
        let at = Location::file(&file);
        let here = |value| At {
            value,
            at: at.clone(),
        };
        let base_dir = self
            .evidence
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        let mut draft = Draft::new(at.clone(), base_dir);
        draft.name = Some(here(self.name));
        draft.description = Some(self.description);
        draft.enabled = Some(false);
        draft.tags = Some(vec![DISCOVERED_TAG.to_owned()]);
        match self.launch {
            DiscoveredLaunch::Stdio {
                command,
                args,
                env,
                cwd,
                venv,
                pythonpath,
            } => {
                draft.transport = Some(here("stdio".to_owned()));
                draft.command = command.map(&here);
                draft.args = Some(At {
                    value: args,
                    at: at.clone(),
                });
                draft.env = Some(At {
                    value: env,
                    at: at.clone(),
                });
                draft.cwd = Some(here(cwd.to_string_lossy().into_owned()));
                draft.venv = venv.map(|v| here(v.to_string_lossy().into_owned()));
                draft.pythonpath = Some(At {
                    value: pythonpath,
                    at: at.clone(),
                });
            }
            DiscoveredLaunch::Http { url, headers } => {
                draft.transport = Some(here("streamable_http".to_owned()));
                draft.url = Some(here(url));
                draft.headers = Some(At {
                    value: headers,
                    at: at.clone(),
                });
            }
        }
        draft.validate().map_err(|issues| ConfigError { issues })
    }
}
