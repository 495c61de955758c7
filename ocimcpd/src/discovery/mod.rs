//! Project discovery: owns finding MCP servers in the folders of `[discovery] scan_paths`
//! (each root and its direct subfolders) and describing how to run them. It reads files
//! and never starts anything: what it finds becomes disabled, `discovered`-tagged specs
//! that an operator turns on with `ocimcpctl enable`.
//!
//! What counts as a project, in order (the first that matches a folder wins):
//! 1. `.mcp.json` or `mcp.json` with `mcpServers` (`command`/`args`/`env`, or `url`/`headers`);
//! 2. `pyproject.toml` `[project.scripts]` entries whose name or target mentions `mcp`;
//! 3. `server.py`, `main.py` or `app.py` in the folder, or `src/<pkg>/server.py`, that
//!    creates a FastMCP or MCPServer server.
//!
//! A venv in `.venv/` or `venv/` runs Python servers; `src/` goes on PYTHONPATH.
//!
//! What a project says is run by the daemon, so it is trusted only when nobody else could
//! have written it: a scan root, project folder, project file or venv that is group- or
//! world-writable, owned by someone other than root or the daemon's user, or (for project
//! files) a symbolic link is skipped, with the reason in the scan's notes (`ocimcpctl
//! discover`, and the log). Subfolders that are links are not entered; a scan root or venv
//! that is a link is judged by the folder it leads to.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{DiscoveredBackend, DiscoveredLaunch};

/// Folder names never entered: dependencies, build output, caches.
const SKIPPED_DIRS: [&str; 6] = [
    "node_modules",
    "target",
    "__pycache__",
    "dist",
    "build",
    "site-packages",
];

/// Python entry files looked at, in this order.
const ENTRY_FILES: [&str; 3] = ["server.py", "main.py", "app.py"];

/// Largest Python file read to look for a server (bigger ones are not entry scripts).
const MAX_SCRIPT_BYTES: u64 = 1024 * 1024;

/// Why `path` may not be trusted to say what the daemon runs, if it may not: see the
/// module's comment. Symbolic links are judged by `symlink_metadata` (not followed).
fn distrust(path: &Path, follow: bool) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let meta = match meta {
        Ok(meta) => meta,
        Err(e) => return Some(format!("it cannot be read ({e})")),
    };
    if meta.file_type().is_symlink() {
        return Some("it is a symbolic link".to_owned());
    }
    let daemon = nix::unistd::geteuid().as_raw();
    if meta.uid() != 0 && meta.uid() != daemon {
        return Some(format!(
            "it is owned by uid {}, neither root nor the daemon's user (uid {daemon})",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Some(format!("others may write to it (mode {mode:04o})"));
    }
    None
}

/// Notes that `path` was skipped because it may not be trusted.
fn skip_untrusted(scan: &mut Scan, path: &Path, why: &str) {
    scan.notes.push(format!(
        "{} skipped: {why}, so what it says is not run (it must be root's or the daemon's user's, not writable by others (`chmod go-w`), and not a link)",
        path.display()
    ));
}

/// What a scan found.
#[derive(Debug, Default)]
pub struct Scan {
    pub found: Vec<DiscoveredBackend>,
    /// Things skipped and why (an unreadable `.mcp.json`, a missing scan path).
    pub notes: Vec<String>,
}

/// Scans every root and its direct subfolders. Names are unique within the scan and
/// avoid `taken` (the names configured backends use).
pub fn scan(roots: &[PathBuf], taken: &HashSet<String>) -> Scan {
    let mut scan = Scan::default();
    let mut names = NameSet {
        used: taken.clone(),
    };
    for root in roots {
        // A scan path the operator named may be a link; the folder it leads to is judged.
        if root.exists()
            && let Some(why) = distrust(root, true)
        {
            skip_untrusted(&mut scan, root, &why);
            continue;
        }
        match project_folders(root) {
            Ok(folders) => {
                for folder in folders {
                    if folder != *root
                        && let Some(why) = distrust(&folder, false)
                    {
                        skip_untrusted(&mut scan, &folder, &why);
                        continue;
                    }
                    project(&folder, &mut names, &mut scan);
                }
            }
            Err(e) => scan
                .notes
                .push(format!("scan path {} cannot be read: {e}", root.display())),
        }
    }
    scan
}

/// The folders a scan looks into under `root` (for watching): the root and its direct,
/// not skipped subfolders. Only the root when it cannot be read.
pub fn scanned_folders(root: &Path) -> Vec<PathBuf> {
    project_folders(root).unwrap_or_else(|_| vec![root.to_path_buf()])
}

/// `root`, then its direct subfolders that are not skipped, by name.
fn project_folders(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut subfolders: Vec<PathBuf> = std::fs::read_dir(root)?
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| !skipped(p))
        .collect();
    subfolders.sort();
    let mut folders = vec![root.to_path_buf()];
    folders.append(&mut subfolders);
    Ok(folders)
}

/// Hidden folders, dependency and build folders, and virtual environments.
fn skipped(dir: &Path) -> bool {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with('.')
        || SKIPPED_DIRS.contains(&name)
        || name == "venv"
        || dir.join("pyvenv.cfg").is_file()
}

/// Whether `path` is there to be read: a regular file nobody else could have written.
/// A file that is there but not trusted is noted and counts as absent.
fn present(path: &Path, scan: &mut Scan) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    if !(meta.is_file() || meta.file_type().is_symlink()) {
        return false;
    }
    match distrust(path, false) {
        Some(why) => {
            skip_untrusted(scan, path, &why);
            false
        }
        None => true,
    }
}

fn project(dir: &Path, names: &mut NameSet, scan: &mut Scan) {
    for file in [".mcp.json", "mcp.json"] {
        let path = dir.join(file);
        if present(&path, scan) {
            mcp_json(dir, &path, names, scan);
            return;
        }
    }
    let Some(python) = PythonEnv::of(dir, scan) else {
        return;
    };
    let pyproject = dir.join("pyproject.toml");
    if present(&pyproject, scan) && pyproject_scripts(dir, &pyproject, &python, names, scan) {
        return;
    }
    python_entry(dir, &python, names, scan);
}

/// `.mcp.json` / `mcp.json`, the format desktop clients use.
fn mcp_json(dir: &Path, path: &Path, names: &mut NameSet, scan: &mut Scan) {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct File {
        #[serde(default)]
        mcp_servers: BTreeMap<String, Server>,
    }
    #[derive(Deserialize)]
    struct Server {
        command: Option<String>,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default)]
        env: BTreeMap<String, String>,
        url: Option<String>,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    }
    let parsed = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str::<File>(&text).map_err(|e| e.to_string()));
    let file = match parsed {
        Ok(file) => file,
        Err(e) => {
            scan.notes.push(format!(
                "{} skipped: not a valid MCP server list ({e})",
                path.display()
            ));
            return;
        }
    };
    let Some(python) = PythonEnv::of(dir, scan) else {
        return;
    };
    for (key, server) in file.mcp_servers {
        let launch = match (server.command, server.url) {
            (Some(command), _) => DiscoveredLaunch::Stdio {
                command: Some(command),
                args: server.args,
                env: server.env,
                cwd: dir.to_path_buf(),
                venv: python.venv.clone(),
                pythonpath: python.pythonpath.clone(),
            },
            (None, Some(url)) => DiscoveredLaunch::Http {
                url,
                headers: server.headers,
            },
            (None, None) => {
                scan.notes.push(format!(
                    "{}: server `{key}` skipped: it has neither `command` nor `url`",
                    path.display()
                ));
                continue;
            }
        };
        scan.found.push(DiscoveredBackend {
            name: names.claim(&key),
            description: format!("`{key}` from {}", path.display()),
            evidence: path.to_path_buf(),
            launch,
        });
    }
}

/// `[project.scripts]` entries that look like MCP servers; true if any was found.
fn pyproject_scripts(
    dir: &Path,
    path: &Path,
    python: &PythonEnv,
    names: &mut NameSet,
    scan: &mut Scan,
) -> bool {
    let table = match std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| text.parse::<toml::Table>().map_err(|e| e.to_string()))
    {
        Ok(table) => table,
        Err(e) => {
            scan.notes.push(format!("{} skipped: {e}", path.display()));
            return false;
        }
    };
    let scripts = table
        .get("project")
        .and_then(|p| p.get("scripts"))
        .and_then(|s| s.as_table());
    let Some(scripts) = scripts else {
        return false;
    };
    let mut any = false;
    for (script, target) in scripts {
        let Some(target) = target.as_str() else {
            continue;
        };
        let looks_like_mcp = script.to_ascii_lowercase().contains("mcp")
            || target.to_ascii_lowercase().contains("mcp");
        let Some((module, function)) = target.split_once(':') else {
            continue;
        };
        if !looks_like_mcp {
            continue;
        }
        // The installed console script if the venv has it; else the entry point itself.
        let installed = python
            .venv
            .as_ref()
            .map(|v| v.join("bin").join(script))
            .filter(|p| p.is_file());
        let (command, args) = match installed {
            Some(bin) => (Some(bin.to_string_lossy().into_owned()), Vec::new()),
            None => (
                python.interpreter(),
                vec![
                    "-c".to_owned(),
                    format!(
                        "import sys; from {} import {}; sys.exit({}())",
                        module.trim(),
                        function.trim(),
                        function.trim()
                    ),
                ],
            ),
        };
        scan.found.push(DiscoveredBackend {
            name: names.claim(script),
            description: format!("script `{script}` ({target}) from {}", path.display()),
            evidence: path.to_path_buf(),
            launch: DiscoveredLaunch::Stdio {
                command,
                args,
                env: BTreeMap::new(),
                cwd: dir.to_path_buf(),
                venv: python.venv.clone(),
                pythonpath: python.pythonpath.clone(),
            },
        });
        any = true;
    }
    any
}

/// A Python entry file that creates an MCP server.
fn python_entry(dir: &Path, python: &PythonEnv, names: &mut NameSet, scan: &mut Scan) {
    let folder_name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("project");
    for file in ENTRY_FILES {
        let path = dir.join(file);
        if present(&path, scan) && creates_server(&path) {
            let name = names.claim(folder_name);
            let args = vec![file.to_owned()];
            scan.found.push(python.server(name, dir, path, args));
            return;
        }
    }
    // src/<pkg>/server.py, run as a module.
    let Ok(packages) = std::fs::read_dir(dir.join("src")) else {
        return;
    };
    let mut packages: Vec<PathBuf> = packages
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !skipped(p))
        .collect();
    packages.sort();
    for package in packages {
        let path = package.join("server.py");
        let Some(module) = package.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if present(&path, scan) && creates_server(&path) {
            let name = names.claim(folder_name);
            let args = vec!["-m".to_owned(), format!("{module}.server")];
            scan.found.push(python.server(name, dir, path, args));
            return;
        }
    }
}

/// True for a small Python file that builds a FastMCP or MCPServer server.
fn creates_server(path: &Path) -> bool {
    let small =
        std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_SCRIPT_BYTES);
    if !small {
        return false;
    }
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    ["FastMCP(", "MCPServer(", "Server(\""]
        .iter()
        .any(|pattern| text.contains(pattern))
        && (text.contains("mcp") || text.contains("fastmcp"))
}

/// How a project's Python code runs: its venv (if any) and PYTHONPATH.
struct PythonEnv {
    venv: Option<PathBuf>,
    pythonpath: Vec<String>,
}

impl PythonEnv {
    /// The project's venv and PYTHONPATH; `None` (noted) when it has a venv that may not
    /// be trusted, since its python would run.
    fn of(dir: &Path, scan: &mut Scan) -> Option<Self> {
        let venv = [".venv", "venv"]
            .iter()
            .map(|name| dir.join(name))
            .find(|v| v.join("bin/python").exists());
        // A venv may be a link (to a shared one); the folder it leads to is judged.
        if let Some(venv) = &venv
            && let Some(why) = distrust(venv, true)
        {
            skip_untrusted(scan, venv, &why);
            return None;
        }
        let pythonpath = if dir.join("src").is_dir() {
            vec!["src".to_owned()]
        } else {
            Vec::new()
        };
        Some(Self { venv, pythonpath })
    }

    /// A Python server found in `file`, run in `dir` as `python ARGS`.
    fn server(
        &self,
        name: String,
        dir: &Path,
        file: PathBuf,
        args: Vec<String>,
    ) -> DiscoveredBackend {
        DiscoveredBackend {
            name,
            description: format!("Python server {}", file.display()),
            evidence: file,
            launch: DiscoveredLaunch::Stdio {
                command: self.interpreter(),
                args,
                env: BTreeMap::new(),
                cwd: dir.to_path_buf(),
                venv: self.venv.clone(),
                pythonpath: self.pythonpath.clone(),
            },
        }
    }

    /// `None` (the venv's python) with a venv, else the system's `python3`.
    fn interpreter(&self) -> Option<String> {
        match self.venv {
            Some(_) => None,
            None => Some("python3".to_owned()),
        }
    }
}

/// Backend names handed out so far.
struct NameSet {
    used: HashSet<String>,
}

impl NameSet {
    /// A valid backend name made of `wanted`, made unique with `-2`, `-3`, ...
    fn claim(&mut self, wanted: &str) -> String {
        let base = sanitize(wanted);
        let mut name = base.clone();
        let mut n = 2;
        while self.used.contains(&name) {
            let suffix = format!("-{n}");
            let keep = base.len().min(64 - suffix.len());
            name = format!("{}{suffix}", &base[..keep]);
            n += 1;
        }
        self.used.insert(name.clone());
        name
    }
}

/// Lower-case letters, digits, `_` and `-`; other characters become `-`; starts and ends
/// with a letter or digit; at most 64 characters.
fn sanitize(wanted: &str) -> String {
    let mapped: String = wanted
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = mapped.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let name: String = trimmed.chars().take(64).collect();
    if name.is_empty() {
        "project".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests;
