//! The OCI CLI/SDK config file (`~/.oci/config`), read exactly as the Python SDK reads it
//! (configparser without interpolation): profiles are case-sensitive sections, keys are
//! case-insensitive, `key = value` or `key: value`, full-line `#`/`;` comments only (an
//! inline `;` is part of the value), and every profile inherits `[DEFAULT]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The profile used when none is named.
pub const DEFAULT_PROFILE: &str = "DEFAULT";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigFileError {
    #[error("cannot read the OCI config file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{path}:{line}: {reason}")]
    Syntax {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("the OCI config file {path} has no profile [{profile}] (it has: {known})")]
    NoProfile {
        path: PathBuf,
        profile: String,
        known: String,
    },
}

/// One parsed config file.
#[derive(Clone)]
pub struct ConfigFile {
    path: PathBuf,
    sections: BTreeMap<String, BTreeMap<String, String>>,
}

/// One profile with `[DEFAULT]` merged in.
#[derive(Clone)]
pub struct Profile {
    pub file: PathBuf,
    pub name: String,
    values: BTreeMap<String, String>,
}

/// The values of a section as `Debug` shows them: `pass_phrase` redacted.
struct Shown<'a>(&'a BTreeMap<String, String>);

impl std::fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(key, value)| {
                let shown = if key == "pass_phrase" {
                    "<redacted>"
                } else {
                    value.as_str()
                };
                (key, shown)
            }))
            .finish()
    }
}

impl std::fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigFile")
            .field("path", &self.path)
            .field(
                "sections",
                &self
                    .sections
                    .iter()
                    .map(|(name, values)| (name, Shown(values)))
                    .collect::<BTreeMap<_, _>>(),
            )
            .finish()
    }
}

impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("file", &self.file)
            .field("name", &self.name)
            .field("values", &Shown(&self.values))
            .finish()
    }
}

impl ConfigFile {
    pub fn read(path: &Path) -> Result<Self, ConfigFileError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigFileError::Unreadable {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigFileError> {
        let syntax = |line: usize, reason: String| ConfigFileError::Syntax {
            path: path.to_owned(),
            line,
            reason,
        };
        let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut current: Option<String> = None;
        let mut last_key: Option<String> = None;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                last_key = None;
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            // An indented line continues the previous value (configparser's multi-line values).
            if raw.starts_with([' ', '\t'])
                && let (Some(section), Some(key)) = (&current, &last_key)
                && let Some(value) = sections.get_mut(section).and_then(|s| s.get_mut(key))
            {
                value.push('\n');
                value.push_str(trimmed);
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                if sections.contains_key(name) {
                    return Err(syntax(number, format!("profile [{name}] appears twice")));
                }
                sections.insert(name.to_owned(), BTreeMap::new());
                current = Some(name.to_owned());
                last_key = None;
                continue;
            }
            let Some(section) = &current else {
                return Err(syntax(
                    number,
                    "a setting before any [PROFILE] header".to_owned(),
                ));
            };
            let Some(at) = trimmed.find(['=', ':']) else {
                return Err(syntax(
                    number,
                    format!("expected `key = value`, found `{trimmed}`"),
                ));
            };
            let key = trimmed[..at].trim().to_ascii_lowercase();
            let value = trimmed[at + 1..].trim().to_owned();
            if key.is_empty() {
                return Err(syntax(number, "a setting without a key".to_owned()));
            }
            let values = sections.entry(section.clone()).or_default();
            if values.contains_key(&key) {
                return Err(syntax(
                    number,
                    format!("`{key}` is set twice in profile [{section}]"),
                ));
            }
            values.insert(key.clone(), value);
            last_key = Some(key);
        }
        Ok(ConfigFile {
            path: path.to_owned(),
            sections,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The profile `name` with `[DEFAULT]` inherited. `DEFAULT` itself exists only if the
    /// file has it.
    pub fn profile(&self, name: &str) -> Result<Profile, ConfigFileError> {
        let Some(own) = self.sections.get(name) else {
            let known: Vec<&str> = self.sections.keys().map(String::as_str).collect();
            return Err(ConfigFileError::NoProfile {
                path: self.path.clone(),
                profile: name.to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        };
        let mut values = self
            .sections
            .get(DEFAULT_PROFILE)
            .cloned()
            .unwrap_or_default();
        values.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
        Ok(Profile {
            file: self.path.clone(),
            name: name.to_owned(),
            values,
        })
    }
}

impl Profile {
    /// A key's value (keys are case-insensitive); an empty value counts as missing.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(&key.to_ascii_lowercase())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Where this profile is, for messages: `/root/.oci/config [PROD]`.
    pub fn describe(&self) -> String {
        format!("{} [{}]", self.file.display(), self.name)
    }

    /// A key's value as a path, `~` expanded.
    pub fn path(&self, key: &str) -> Option<PathBuf> {
        self.get(key).map(expand_home)
    }
}

/// Expands a leading `~/` to `$HOME/`.
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ if path == "~" => {
            std::env::var_os("HOME").map_or_else(|| PathBuf::from(path), PathBuf::from)
        }
        _ => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        ConfigFile::parse(Path::new("/home/op/.oci/config"), text).expect("valid")
    }

    #[test]
    fn a_pass_phrase_is_not_in_the_debug_output() {
        let file = parse("[DEFAULT]\nuser=ocid1.user.oc1..u\npass_phrase=hunter2-secret\n");
        let profile = file.profile("DEFAULT").expect("the profile");
        assert_eq!(profile.get("pass_phrase"), Some("hunter2-secret"));
        for debug in [format!("{file:?}"), format!("{profile:?}")] {
            assert!(!debug.contains("hunter2-secret"), "{debug}");
            assert!(debug.contains("ocid1.user.oc1..u"), "{debug}");
        }
    }

    #[test]
    fn profiles_inherit_default_and_override_it() {
        let file = parse(
            "[DEFAULT]\nregion = us-ashburn-1\nTenancy=ocid1.tenancy.oc1..t\n\n[PROD]\nregion: eu-frankfurt-1\nuser = u\n",
        );
        let prod = file.profile("PROD").expect("PROD");
        assert_eq!(prod.get("region"), Some("eu-frankfurt-1"));
        assert_eq!(prod.get("TENANCY"), Some("ocid1.tenancy.oc1..t"));
        assert_eq!(prod.get("user"), Some("u"));
        let default = file.profile("DEFAULT").expect("DEFAULT");
        assert_eq!(default.get("user"), None);
    }

    #[test]
    fn profile_names_are_case_sensitive_and_missing_ones_list_the_others() {
        let file = parse("[PROD]\nuser = u\n");
        let error = file.profile("prod").expect_err("no such profile");
        assert_eq!(
            error.to_string(),
            "the OCI config file /home/op/.oci/config has no profile [prod] (it has: PROD)"
        );
    }

    #[test]
    fn comments_are_whole_lines_only() {
        let file = parse("# a comment\n; another\n[DEFAULT]\nregion = x ; not a comment\n");
        let profile = file.profile("DEFAULT").expect("DEFAULT");
        assert_eq!(profile.get("region"), Some("x ; not a comment"));
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let error = ConfigFile::parse(Path::new("/c"), "user = u\n").expect_err("no section");
        assert_eq!(
            error.to_string(),
            "/c:1: a setting before any [PROFILE] header"
        );
        let error =
            ConfigFile::parse(Path::new("/c"), "[A]\nuser = u\nuser = v\n").expect_err("duplicate");
        assert_eq!(
            error.to_string(),
            "/c:3: `user` is set twice in profile [A]"
        );
        let error = ConfigFile::parse(Path::new("/c"), "[A]\njust words\n").expect_err("no =");
        assert_eq!(
            error.to_string(),
            "/c:2: expected `key = value`, found `just words`"
        );
    }

    #[test]
    fn home_is_expanded() {
        let Some(home) = std::env::var_os("HOME") else {
            return;
        };
        assert_eq!(
            expand_home("~/.oci/key.pem"),
            PathBuf::from(home).join(".oci/key.pem")
        );
        assert_eq!(expand_home("/abs/key.pem"), PathBuf::from("/abs/key.pem"));
    }
}
