//! Kubernetes resource quantities (`100m`, `1.5`, `2Gi`, `1e3`) read as exact thousandths of
//! their unit, and the strings the kubelet reports for node capacity. Does not keep a quantity's
//! original format: callers compare values, never texts.

/// The value of `text` in thousandths of its unit, rounded up as the apiserver's `MilliValue()`
/// rounds; `None` when the text is not a quantity or its value does not fit.
pub fn parse_milli(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_end = unsigned
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    let (power_of_two, power_of_ten) = suffix_powers(suffix)?;
    let fraction_digits = i32::try_from(fraction.len()).ok()?;
    let exponent = power_of_ten + 3 - fraction_digits;
    let scaled = digits.checked_mul(1i128.checked_shl(power_of_two)?)?;
    let magnitude = if exponent >= 0 {
        scaled.checked_mul(10i128.checked_pow(u32::try_from(exponent).ok()?)?)?
    } else {
        let divisor = 10i128.checked_pow(u32::try_from(-exponent).ok()?);
        match divisor {
            Some(divisor) => scaled.div_euclid(divisor) + i128::from(scaled % divisor != 0),
            // Smaller than any representable divisor: only zero stays zero.
            None => i128::from(scaled != 0),
        }
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// The value of `text` in whole units, rounded up (bytes for memory, cores for `cpu`).
pub fn parse_units(text: &str) -> Option<i128> {
    parse_milli(text).map(|milli| milli.div_euclid(1000) + i128::from(milli % 1000 != 0))
}

/// A suffix as (power of two, power of ten) of its multiplier.
fn suffix_powers(suffix: &str) -> Option<(u32, i32)> {
    let binary = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if let Some(index) = binary.iter().position(|b| *b == suffix) {
        return Some((10 * (u32::try_from(index).ok()? + 1), 0));
    }
    let decimal = match suffix {
        "" => 0,
        "n" => -9,
        "u" => -6,
        "m" => -3,
        "k" => 3,
        "M" => 6,
        "G" => 9,
        "T" => 12,
        "P" => 15,
        "E" => 18,
        _ => {
            let exponent = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            return exponent.parse::<i32>().ok().map(|e| (0, e));
        }
    };
    Some((0, decimal))
}

/// CPU as the kubelet reports it: whole cores (`4`) or millicores (`1500m`).
pub fn format_cpu(millis: i64) -> String {
    if millis % 1000 == 0 {
        (millis / 1000).to_string()
    } else {
        format!("{millis}m")
    }
}

/// A byte count with the largest binary suffix that represents it exactly (`8Gi`, `1536Mi`).
pub fn format_bytes(bytes: i64) -> String {
    let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut value = bytes;
    let mut chosen = "";
    for suffix in suffixes {
        if value == 0 || value % 1024 != 0 {
            break;
        }
        value /= 1024;
        chosen = suffix;
    }
    format!("{value}{chosen}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities_read_as_millicores() {
        assert_eq!(parse_milli("100m"), Some(100));
        assert_eq!(parse_milli("2"), Some(2000));
        assert_eq!(parse_milli("1.5"), Some(1500));
        assert_eq!(parse_milli("0.25"), Some(250));
    }

    #[test]
    fn binary_and_decimal_suffixes_multiply() {
        assert_eq!(parse_units("1Gi"), Some(1 << 30));
        assert_eq!(parse_units("512Mi"), Some(512 << 20));
        assert_eq!(parse_units("1k"), Some(1000));
        assert_eq!(parse_units("2M"), Some(2_000_000));
        assert_eq!(parse_units("1E"), Some(1_000_000_000_000_000_000));
    }

    #[test]
    fn exponents_are_decimal_scientific_notation() {
        assert_eq!(parse_units("1e3"), Some(1000));
        assert_eq!(
            parse_units("15E-1"),
            Some(2),
            "1.5 rounds up to 2 whole units"
        );
        assert_eq!(parse_milli("1e-3"), Some(1));
    }

    #[test]
    fn values_below_a_milli_round_up_like_milli_value() {
        assert_eq!(parse_milli("1u"), Some(1));
        assert_eq!(parse_milli("0.0001"), Some(1));
        assert_eq!(parse_milli("0"), Some(0));
    }

    #[test]
    fn text_that_is_not_a_quantity_is_rejected() {
        assert_eq!(parse_milli(""), None);
        assert_eq!(parse_milli("Gi"), None);
        assert_eq!(parse_milli("12 apples"), None);
        assert_eq!(parse_milli("1Qi"), None);
    }

    #[test]
    fn capacity_is_formatted_like_the_kubelet() {
        assert_eq!(format_cpu(4000), "4");
        assert_eq!(format_cpu(1500), "1500m");
        assert_eq!(format_bytes(8 << 30), "8Gi");
        assert_eq!(format_bytes(1536 << 20), "1536Mi");
        assert_eq!(format_bytes(1000), "1000");
        assert_eq!(format_bytes(0), "0");
    }
}
