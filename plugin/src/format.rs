//! Small pure conversions between what people type or read and numbers: progress bars,
//! durations such as `3m 20s`, and validities such as `12h` or `7d`.

use std::time::Duration;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error(
        "failed to read the duration '{text}': write a number and a unit, e.g. 90s, 30m, 12h, \
         7d or 1h30m"
    )]
    Syntax { text: String },
}

/// A bar of `width` cells: `█` for rendered, `x` for failed, `░` for the rest. A count above
/// zero always gets a cell, so one failed frame in thousands still shows.
pub fn progress_bar(rendered: u64, failed: u64, total: u64, width: usize) -> String {
    let cells = |count: u64| -> usize {
        if total == 0 || count == 0 {
            return 0;
        }
        let share = (count.min(total) as u128 * width as u128 / total as u128) as usize;
        share.max(1)
    };
    let failed_cells = cells(failed).min(width);
    let mut rendered_cells = cells(rendered).min(width - failed_cells);
    // Rounding down may leave a cell empty when everything is done.
    if rendered + failed >= total && total > 0 {
        rendered_cells = width - failed_cells;
    }
    let rest = width - failed_cells - rendered_cells;
    format!(
        "[{}{}{}]",
        "█".repeat(rendered_cells),
        "x".repeat(failed_cells),
        "░".repeat(rest)
    )
}

/// Seconds as a person reads them: `850ms`, `42s`, `3m 04s`, `2h 05m`, `3d 04h`.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "0s".into();
    }
    if seconds < 1.0 {
        return format!("{}ms", (seconds * 1000.0).round() as u64);
    }
    let whole = seconds.round() as u64;
    let (days, hours, minutes, secs) = (
        whole / 86_400,
        whole / 3600 % 24,
        whole / 60 % 60,
        whole % 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, _) => format!("{minutes}m {secs:02}s"),
        (0, _, _) => format!("{hours}h {minutes:02}m"),
        _ => format!("{days}d {hours:02}h"),
    }
}

/// Parses `90s`, `30m`, `12h`, `7d` and sums like `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let syntax = || DurationError::Syntax { text: text.into() };
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(syntax());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in trimmed.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(syntax()),
        };
        let value: u64 = number.parse().map_err(|_| syntax())?;
        number.clear();
        total = value
            .checked_mul(unit)
            .and_then(|seconds| total.checked_add(seconds))
            .ok_or_else(syntax)?;
    }
    if !number.is_empty() {
        return Err(syntax());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_shows_rendered_failed_and_remaining_in_proportion() {
        assert_eq!(progress_bar(5, 0, 10, 10), "[█████░░░░░]");
        assert_eq!(progress_bar(0, 0, 10, 4), "[░░░░]");
        assert_eq!(progress_bar(3, 1, 4, 8), "[██████xx]");
        assert_eq!(progress_bar(10, 0, 10, 4), "[████]");
    }

    #[test]
    fn one_failed_frame_among_thousands_still_shows() {
        let bar = progress_bar(9_000, 1, 10_000, 20);
        assert!(bar.contains('x'), "{bar}");
        assert_eq!(bar.chars().count(), 22);
    }

    #[test]
    fn a_finished_shot_fills_the_bar_despite_rounding() {
        assert_eq!(progress_bar(2, 1, 3, 10), "[███████xxx]");
    }

    #[test]
    fn durations_read_at_the_scale_that_matters() {
        assert_eq!(format_duration(0.25), "250ms");
        assert_eq!(format_duration(42.4), "42s");
        assert_eq!(format_duration(184.0), "3m 04s");
        assert_eq!(format_duration(7500.0), "2h 05m");
        assert_eq!(format_duration(3.0 * 86_400.0 + 4.0 * 3600.0), "3d 04h");
        assert_eq!(format_duration(f64::NAN), "0s");
    }

    #[test]
    fn validities_are_numbers_with_units_and_may_be_summed() {
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        for bad in ["", "12", "h", "1.5h", "12x", "-1h", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
