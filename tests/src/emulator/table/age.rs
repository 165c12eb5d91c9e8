//! Times in table cells as the apiserver prints them: Go's `duration.HumanDuration` of the time
//! since a timestamp (`5s`, `3m10s`, `2d4h`), `<unknown>` where there is no timestamp. Parsing
//! of RFC 3339 strings lives here too; nothing else does.

use jiff::{SignedDuration, Timestamp};

/// A timestamp as objects carry it (`metav1.Time` or `metav1.MicroTime`, RFC 3339).
pub(crate) fn parse_time(text: &str) -> Option<Timestamp> {
    text.parse().ok()
}

/// The age of something stamped at `timestamp`, or `<unknown>` without one, as
/// `translateTimestampSince` prints it.
pub(crate) fn since(timestamp: Option<&str>, now: Timestamp) -> String {
    match timestamp.and_then(parse_time) {
        Some(then) => human_duration(now.duration_since(then)),
        None => "<unknown>".to_owned(),
    }
}

/// A duration with two or three significant figures, exactly as Kubernetes'
/// `duration.HumanDuration` writes it: up to a second and a half of clock skew reads as `0s`,
/// more than that in the future as `<invalid>`.
pub(crate) fn human_duration(elapsed: SignedDuration) -> String {
    let seconds = elapsed.as_secs();
    if seconds < -1 {
        return "<invalid>".to_owned();
    }
    if seconds < 0 {
        return "0s".to_owned();
    }
    if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            rest => format!("{minutes}m{rest}s"),
        };
    }
    if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            rest => format!("{hours}h{rest}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            rest => format!("{days}d{rest}h"),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if hours < 24 * 365 * 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            rest => format!("{years}y{rest}d"),
        };
    }
    format!("{years}y")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(seconds: i64) -> String {
        human_duration(SignedDuration::from_secs(seconds))
    }

    #[test]
    fn short_durations_are_whole_seconds_up_to_two_minutes() {
        assert_eq!(after(0), "0s");
        assert_eq!(after(5), "5s");
        assert_eq!(after(119), "119s");
    }

    #[test]
    fn minutes_keep_their_seconds_below_ten_minutes() {
        assert_eq!(after(120), "2m");
        assert_eq!(after(190), "3m10s");
        assert_eq!(after(599), "9m59s");
        assert_eq!(after(600), "10m");
        assert_eq!(after(3 * 3600 - 1), "179m");
    }

    #[test]
    fn hours_keep_their_minutes_below_eight_hours() {
        assert_eq!(after(3 * 3600), "3h");
        assert_eq!(after(3 * 3600 + 25 * 60 + 59), "3h25m");
        assert_eq!(after(8 * 3600 + 59 * 60), "8h");
        assert_eq!(after(47 * 3600), "47h");
    }

    #[test]
    fn days_keep_their_hours_below_eight_days() {
        assert_eq!(after(48 * 3600), "2d");
        assert_eq!(after(52 * 3600), "2d4h");
        assert_eq!(after(8 * 86400 + 5 * 3600), "8d");
        assert_eq!(after(729 * 86400), "729d");
    }

    #[test]
    fn years_keep_their_days_below_eight_years() {
        assert_eq!(after(730 * 86400), "2y");
        assert_eq!(after(800 * 86400), "2y70d");
        assert_eq!(after(9 * 365 * 86400 + 40 * 86400), "9y");
    }

    #[test]
    fn a_little_clock_skew_is_now_and_more_is_invalid() {
        assert_eq!(human_duration(SignedDuration::from_millis(-1500)), "0s");
        assert_eq!(after(-2), "<invalid>");
    }

    #[test]
    fn ages_count_from_rfc3339_timestamps() {
        let now: Timestamp = "2025-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(since(Some("2025-03-01T11:56:50Z"), now), "3m10s");
        assert_eq!(since(Some("2025-03-01T11:59:59.250000Z"), now), "0s");
        assert_eq!(since(None, now), "<unknown>");
        assert_eq!(since(Some("yesterday"), now), "<unknown>");
    }
}
