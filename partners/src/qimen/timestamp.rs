//! TOP timestamps: `yyyy-MM-dd HH:mm:ss` in GMT+8 (China Standard Time, no daylight saving), and
//! the ±10 min acceptance window TOP gateways apply. Shared with 58 Daojia, which uses the same rule.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// The format every TOP-style `timestamp` parameter uses.
pub const TOP_TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The window a TOP gateway accepts around its own clock.
pub const TOP_TIMESTAMP_WINDOW: Duration = Duration::from_secs(10 * 60);

/// China Standard Time. Evaluated at compile time, so the offset is known to be valid.
const GMT_PLUS_8: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("GMT+8 is a valid offset"),
};

fn gmt_plus_8() -> FixedOffset {
    GMT_PLUS_8
}

/// Formats `at` as a GMT+8 TOP timestamp.
pub fn format_top_timestamp(at: DateTime<Utc>) -> String {
    at.with_timezone(&gmt_plus_8())
        .format(TOP_TIMESTAMP_FORMAT)
        .to_string()
}

/// Parses a GMT+8 TOP timestamp; `None` when it is not in the format.
pub fn parse_top_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let naive = NaiveDateTime::parse_from_str(text.trim(), TOP_TIMESTAMP_FORMAT).ok()?;
    gmt_plus_8()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Why a timestamp was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    /// Not in the expected format.
    #[error("timestamp is not in the expected format")]
    Malformed,
    /// Older than the window allows.
    #[error("timestamp is older than the accepted window")]
    Stale,
    /// Further in the future than the window allows.
    #[error("timestamp is further in the future than the accepted window")]
    Future,
}

/// Checks that `at` lies within `window` of `now` on either side.
pub fn check_window(
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), TimestampError> {
    let window = chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX);
    if at < now - window {
        Err(TimestampError::Stale)
    } else if at > now + window {
        Err(TimestampError::Future)
    } else {
        Ok(())
    }
}

/// Parses a TOP timestamp and checks it against the window.
pub fn check_top_timestamp(
    text: &str,
    now: DateTime<Utc>,
    window: Duration,
) -> Result<(), TimestampError> {
    let at = parse_top_timestamp(text).ok_or(TimestampError::Malformed)?;
    check_window(at, now, window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_china_standard_time() {
        let at = Utc.with_ymd_and_hms(2016, 1, 1, 4, 0, 0).unwrap();
        assert_eq!(format_top_timestamp(at), "2016-01-01 12:00:00");
        assert_eq!(parse_top_timestamp("2016-01-01 12:00:00"), Some(at));
    }

    #[test]
    fn window_rejects_stale_and_future() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap();
        let eleven = chrono::Duration::minutes(11);
        let nine = chrono::Duration::minutes(9);
        assert_eq!(
            check_window(now - eleven, now, TOP_TIMESTAMP_WINDOW),
            Err(TimestampError::Stale)
        );
        assert_eq!(
            check_window(now + eleven, now, TOP_TIMESTAMP_WINDOW),
            Err(TimestampError::Future)
        );
        assert_eq!(check_window(now - nine, now, TOP_TIMESTAMP_WINDOW), Ok(()));
        assert_eq!(
            check_top_timestamp("yesterday", now, TOP_TIMESTAMP_WINDOW),
            Err(TimestampError::Malformed)
        );
    }
}
