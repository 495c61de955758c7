//! Durations in config files: `"500ms"`, `"30s"`, `"5m"`, `"1h"`, or a number of seconds.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// A duration as written in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConfigDuration(pub Duration);

/// The longest duration a config may hold: longer ones are mistakes, and would overflow
/// deadlines.
pub const MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses `"250ms"`, `"1.5s"`, `"2m"`, `"1h"`; a bare number means seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let duration = parse_unbounded(text)?;
    check(duration)
}

fn check(duration: Duration) -> Result<Duration, String> {
    if duration > MAX {
        Err(format!(
            "{duration:?} is longer than the allowed maximum of 365 days"
        ))
    } else {
        Ok(duration)
    }
}

fn parse_unbounded(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| {
        format!("`{text}` is not a duration (examples: \"500ms\", \"30s\", \"5m\")")
    })?;
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        other => {
            return Err(format!(
                "unknown duration unit `{other}` in `{text}` (use ms, s, m or h)"
            ));
        }
    };
    Duration::try_from_secs_f64(value * scale).map_err(|_| format!("`{text}` is out of range"))
}

impl<'de> serde::Deserialize<'de> for ConfigDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = ConfigDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a duration such as \"500ms\", \"30s\" or \"5m\", or a number of seconds",
                )
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                check(Duration::from_secs(v))
                    .map(ConfigDuration)
                    .map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                let v = u64::try_from(v).map_err(|_| E::custom("a duration cannot be negative"))?;
                self.visit_u64(v)
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                let d = Duration::try_from_secs_f64(v).map_err(|_| {
                    E::custom("a duration must be a non-negative number of seconds")
                })?;
                check(d).map(ConfigDuration).map_err(E::custom)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                parse(v).map(ConfigDuration).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("7"), Ok(Duration::from_secs(7)));
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse("soon").is_err());
        assert!(
            parse("5 days")
                .unwrap_err()
                .contains("unknown duration unit")
        );
        assert!(parse("").is_err());
        assert!(
            parse("9999999h")
                .unwrap_err()
                .contains("maximum of 365 days")
        );
    }
}
