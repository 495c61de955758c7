//! The times sent to OCI: a UTC instant written as RFC 3339 with `Z`, seconds, and
//! microseconds only when there are some (`2024-05-01T00:00:00Z`,
//! `2024-05-01T00:00:00.123000Z`), which is what the Python SDK puts in bodies and query
//! strings. Read from RFC 3339 text with any offset, or from a `SystemTime`.

use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

const SECONDS_PER_DAY: i64 = 86_400;

/// A UTC instant with microsecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z.
    seconds: i64,
    /// Microseconds into that second, below 1,000,000.
    micros: u32,
}

/// Text that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 time such as 2024-05-01T00:00:00Z or 2024-05-01")]
pub struct TimestampError {
    text: String,
}

impl Timestamp {
    /// Whole seconds since the Unix epoch.
    pub const fn from_unix(seconds: i64) -> Self {
        Timestamp { seconds, micros: 0 }
    }

    pub fn now() -> Self {
        Timestamp::from(SystemTime::now())
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub fn unix_seconds(self) -> i64 {
        self.seconds
    }

    /// Midnight UTC of the same day: the start Usage API wants for `DAILY` and `HOURLY`.
    pub fn start_of_day(self) -> Self {
        Timestamp::from_unix(self.seconds.div_euclid(SECONDS_PER_DAY) * SECONDS_PER_DAY)
    }

    /// Midnight UTC of the first of the month: the start Usage API wants for `MONTHLY`.
    pub fn start_of_month(self) -> Self {
        let (year, month, _) = civil_from_days(self.seconds.div_euclid(SECONDS_PER_DAY));
        Timestamp::from_unix(days_from_civil(year, month, 1) * SECONDS_PER_DAY)
    }

    /// Reads RFC 3339 (`2024-05-01T02:00:00.5+02:00`, `T`, `t` or a space between date and
    /// time, `Z` or an offset) or a bare date (`2024-05-01`, taken as midnight UTC).
    /// Digits past the microsecond are dropped.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        parse_rfc3339(text.trim().as_bytes()).ok_or_else(|| TimestampError {
            text: text.to_owned(),
        })
    }
}

impl From<SystemTime> for Timestamp {
    fn from(time: SystemTime) -> Self {
        match time.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(after) => Timestamp {
                seconds: i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
                micros: after.subsec_micros(),
            },
            Err(before) => {
                let before = before.duration();
                let seconds = -i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                match before.subsec_micros() {
                    0 => Timestamp { seconds, micros: 0 },
                    micros => Timestamp {
                        seconds: seconds - 1,
                        micros: 1_000_000 - micros,
                    },
                }
            }
        }
    }
}

impl From<Timestamp> for SystemTime {
    fn from(time: Timestamp) -> Self {
        let micros = Duration::from_micros(u64::from(time.micros));
        let whole = Duration::from_secs(time.seconds.unsigned_abs());
        if time.seconds >= 0 {
            SystemTime::UNIX_EPOCH + whole + micros
        } else {
            SystemTime::UNIX_EPOCH - whole + micros
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.seconds.div_euclid(SECONDS_PER_DAY);
        let of_day = self.seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day / 60 % 60,
            of_day % 60
        )?;
        if self.micros != 0 {
            write!(f, ".{:06}", self.micros)?;
        }
        f.write_str("Z")
    }
}

impl FromStr for Timestamp {
    type Err = TimestampError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(text)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The `count` ASCII digits at `at` as a number.
fn digits(text: &[u8], at: usize, count: usize) -> Option<i64> {
    let field = text.get(at..at + count)?;
    field.iter().try_fold(0i64, |value, byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + i64::from(byte - b'0'))
    })
}

fn parse_rfc3339(text: &[u8]) -> Option<Timestamp> {
    let year = digits(text, 0, 4)?;
    let month = digits(text, 5, 2)?;
    let day = digits(text, 8, 2)?;
    if text.get(4) != Some(&b'-') || text.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date_seconds = days_from_civil(year, month, day) * SECONDS_PER_DAY;
    if text.len() == 10 {
        return Some(Timestamp::from_unix(date_seconds));
    }
    if !matches!(text.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let hour = digits(text, 11, 2)?;
    let minute = digits(text, 14, 2)?;
    let second = digits(text, 17, 2)?;
    if text.get(13) != Some(&b':') || text.get(16) != Some(&b':') {
        return None;
    }
    // 60 is a leap second; it reads as the first second of the next minute.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut at = 19;
    let mut micros = 0u32;
    if text.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while text.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 6 {
                micros = micros * 10 + u32::from(text[at] - b'0');
            }
            at += 1;
        }
        let fraction_digits = at - start;
        if fraction_digits == 0 {
            return None;
        }
        for _ in fraction_digits..6 {
            micros *= 10;
        }
    }
    let offset_seconds = match text.get(at..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), rest @ ..] if rest.len() == 5 && rest[2] == b':' => {
            let hours = digits(rest, 0, 2)?;
            let minutes = digits(rest, 3, 2)?;
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    Some(Timestamp {
        seconds: date_seconds + hour * 3600 + minute * 60 + second - offset_seconds,
        micros,
    })
}

fn is_leap_year(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day count since 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Timestamp {
        Timestamp::parse(text).expect("a valid time")
    }

    #[test]
    fn written_in_utc_with_z_and_microseconds_only_when_present() {
        assert_eq!(Timestamp::from_unix(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::from_unix(1_714_521_600).to_string(),
            "2024-05-01T00:00:00Z"
        );
        let with_millis = SystemTime::UNIX_EPOCH + Duration::from_millis(1_714_521_600_123);
        assert_eq!(
            Timestamp::from(with_millis).to_string(),
            "2024-05-01T00:00:00.123000Z"
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::from_unix(951_782_400)).expect("serializes"),
            r#""2000-02-29T00:00:00Z""#
        );
    }

    #[test]
    fn read_from_rfc3339_with_any_offset() {
        assert_eq!(parsed("2024-05-01T00:00:00Z").unix_seconds(), 1_714_521_600);
        assert_eq!(
            parsed("2024-05-01T02:00:00+02:00"),
            parsed("2024-05-01T00:00:00Z")
        );
        assert_eq!(
            parsed("2024-04-30 19:30:00-04:30").to_string(),
            "2024-05-01T00:00:00Z"
        );
        assert_eq!(
            parsed("2024-05-01t00:00:00.5z").to_string(),
            "2024-05-01T00:00:00.500000Z"
        );
        assert_eq!(
            parsed("2024-05-01T12:00:00.123456789Z").to_string(),
            "2024-05-01T12:00:00.123456Z"
        );
        assert_eq!(parsed("2024-05-01"), parsed("2024-05-01T00:00:00Z"));
        assert_eq!(parsed("1969-12-31T23:59:59Z").unix_seconds(), -1);
        assert_eq!(
            parsed("2016-12-31T23:59:60Z"),
            parsed("2017-01-01T00:00:00Z")
        );
        assert_eq!(
            "2024-05-01T00:00:00Z"
                .parse::<Timestamp>()
                .expect("parses")
                .unix_seconds(),
            1_714_521_600
        );
    }

    #[test]
    fn text_that_is_not_a_time_is_refused_with_itself_in_the_message() {
        for text in [
            "",
            "yesterday",
            "2024-05-01T00:00:00",
            "2024-05-01T00:00Z",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-05-01T24:00:00Z",
            "2024-05-01T00:00:00.Z",
            "2024-05-01T00:00:00+0200",
            "2024-05-01T00:00:00Z trailing",
            "2024/05/01",
        ] {
            let error = Timestamp::parse(text).expect_err(text);
            assert!(error.to_string().contains(&format!("`{text}`")), "{error}");
        }
        assert!(serde_json::from_str::<Timestamp>(r#""soon""#).is_err());
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        for days in days_from_civil(1900, 1, 1)..days_from_civil(2300, 1, 1) {
            let (year, month, day) = civil_from_days(days);
            assert!((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month));
            assert_eq!(days_from_civil(year, month, day), days);
        }
    }

    #[test]
    fn days_and_months_start_at_midnight_utc() {
        let noon = parsed("2024-02-29T12:34:56.789Z");
        assert_eq!(noon.start_of_day().to_string(), "2024-02-29T00:00:00Z");
        assert_eq!(noon.start_of_month().to_string(), "2024-02-01T00:00:00Z");
        let before_epoch = parsed("1969-12-31T23:00:00Z");
        assert_eq!(
            before_epoch.start_of_day().to_string(),
            "1969-12-31T00:00:00Z"
        );
    }

    #[test]
    fn system_times_round_trip_before_and_after_the_epoch() {
        for micros in [0i64, 1, 999_999, -1, -1_500_000, 1_714_521_600_123_456] {
            let time = if micros >= 0 {
                SystemTime::UNIX_EPOCH + Duration::from_micros(micros.unsigned_abs())
            } else {
                SystemTime::UNIX_EPOCH - Duration::from_micros(micros.unsigned_abs())
            };
            assert_eq!(SystemTime::from(Timestamp::from(time)), time, "{micros}");
        }
        assert_eq!(
            Timestamp::from(SystemTime::UNIX_EPOCH - Duration::from_micros(1)).to_string(),
            "1969-12-31T23:59:59.999999Z"
        );
    }
}
