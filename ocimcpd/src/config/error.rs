//! Config errors that say where: file, line, column and key.

use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// A place in a config file. Line and column are 1-based and absent when the source
/// format cannot tell (a validation error in a JSON fragment, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<Path>,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl Location {
    pub fn file(file: &Arc<Path>) -> Self {
        Self {
            file: file.clone(),
            line: None,
            column: None,
        }
    }

    /// The location of byte offset `span.start` in `text`.
    pub fn at(file: &Arc<Path>, text: &str, span: Option<Range<usize>>) -> Self {
        let Some(span) = span else {
            return Self::file(file);
        };
        let offset = span.start.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self {
            file: file.clone(),
            line: Some(line),
            column: Some(column),
        }
    }

    pub fn line_col(file: &Arc<Path>, line: usize, column: usize) -> Self {
        Self {
            file: file.clone(),
            line: Some(line),
            column: Some(column),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        Ok(())
    }
}

/// One thing wrong with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigIssue {
    pub location: Location,
    /// Dotted key path, e.g. `restart.backoff_min` or `backends[1].url`.
    pub key: Option<String>,
    pub message: String,
}

impl ConfigIssue {
    pub fn new(location: Location, key: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            location,
            key: key.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.location)?;
        if let Some(key) = &self.key {
            write!(f, "key `{key}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Everything found wrong while loading a configuration; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub issues: Vec<ConfigIssue>,
}

impl ConfigError {
    pub fn single(issue: ConfigIssue) -> Self {
        Self {
            issues: vec![issue],
        }
    }

    pub fn io(path: &Path, error: &std::io::Error) -> Self {
        let file: Arc<Path> = Arc::from(path);
        Self::single(ConfigIssue::new(
            Location::file(&file),
            None,
            format!("cannot read: {error}"),
        ))
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{issue}")?;
        }
        Ok(())
    }
}

/// Turns a `serde_path_to_error` failure from the TOML deserializer into an issue with
/// line, column and key.
pub fn from_toml(
    file: &Arc<Path>,
    text: &str,
    error: serde_path_to_error::Error<toml::de::Error>,
    key_prefix: Option<&str>,
) -> ConfigIssue {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let key = join_key(key_prefix, &path);
    ConfigIssue::new(
        Location::at(file, text, inner.span()),
        key.as_deref(),
        inner.message().trim_end().to_owned(),
    )
}

/// Turns a `serde_path_to_error` failure from the JSON deserializer into an issue.
pub fn from_json(
    file: &Arc<Path>,
    error: serde_path_to_error::Error<serde_json::Error>,
) -> ConfigIssue {
    let path = error.path().to_string();
    let inner = error.into_inner();
    let key = join_key(None, &path);
    // serde_json appends " at line L column C" to its messages; the location says that.
    let message = inner.to_string();
    let message = match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message,
    };
    let location = if inner.line() > 0 {
        Location::line_col(file, inner.line(), inner.column())
    } else {
        Location::file(file)
    };
    ConfigIssue::new(location, key.as_deref(), message)
}

fn join_key(prefix: Option<&str>, path: &str) -> Option<String> {
    // `toml::Spanned` deserializes through private field names; they are not the user's keys.
    let path = path
        .split('.')
        .filter(|segment| !segment.starts_with("$__serde_spanned_private"))
        .collect::<Vec<_>>()
        .join(".");
    let path = if path == "." || path.is_empty() {
        None
    } else {
        Some(path.as_str())
    };
    match (prefix, path) {
        (Some(p), Some(k)) => Some(format!("{p}.{k}")),
        (Some(p), None) => Some(p.to_owned()),
        (None, Some(k)) => Some(k.to_owned()),
        (None, None) => None,
    }
}
