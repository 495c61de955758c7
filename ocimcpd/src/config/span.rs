//! Where a config value was written, and how a problem is reported there: a value with
//! its location ([`At`]), TOML spans turned into locations, and the [`Scope`] of one
//! backend entry (its origin and the key prefix every message about it names). The
//! backend spec and its guards (`guards.rs`) both report through it.

use std::time::Duration;

use toml::Spanned;

use super::duration::ConfigDuration;
use super::error::{ConfigIssue, Location};

/// A value and where it was written.
#[derive(Debug, Clone)]
pub(super) struct At<T> {
    pub value: T,
    pub at: Location,
}

/// Turns a span into a location in the file being read.
pub(super) type Locate<'a> = &'a dyn Fn(std::ops::Range<usize>) -> Location;

/// A TOML value with its location.
pub(super) fn spanned<T>(value: Option<Spanned<T>>, locate: Locate<'_>) -> Option<At<T>> {
    value.map(|v| {
        let at = locate(v.span());
        At {
            value: v.into_inner(),
            at,
        }
    })
}

/// A TOML duration with its location.
pub(super) fn spanned_duration(
    value: Option<Spanned<ConfigDuration>>,
    locate: Locate<'_>,
) -> Option<At<Duration>> {
    spanned(value, locate).map(|d| At {
        value: d.value.0,
        at: d.at,
    })
}

/// One backend entry, as its problems name it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Scope<'a> {
    /// The entry itself (start of the file, or of the `[[backends]]` table).
    pub origin: &'a Location,
    /// Key-path prefix for messages (`backends[2]` for inline entries, none for files).
    pub key_prefix: Option<&'a str>,
}

impl Scope<'_> {
    fn key(&self, key: &str) -> String {
        match self.key_prefix {
            Some(prefix) => format!("{prefix}.{key}"),
            None => key.to_owned(),
        }
    }

    /// A problem with `key` (relative to the entry), written at `at`.
    pub(super) fn issue(
        &self,
        at: &Location,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigIssue {
        ConfigIssue::new(at.clone(), Some(&self.key(key)), message)
    }

    /// A duration that must be greater than zero; `fallback` when absent (or zero).
    pub(super) fn positive(
        &self,
        value: &Option<At<Duration>>,
        key: &str,
        fallback: Duration,
        issues: &mut Vec<ConfigIssue>,
    ) -> Duration {
        match value {
            Some(d) if d.value.is_zero() => {
                issues.push(self.issue(&d.at, key, "must be greater than zero"));
                fallback
            }
            Some(d) => d.value,
            None => fallback,
        }
    }
}
