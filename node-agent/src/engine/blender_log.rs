//! Reads Blender's console output line by line: which frame is rendering, which file was
//! saved, and which lines are errors. Knows the classic format (Blender 2.8 to 4.x) and
//! Blender 5's logger prefix (`00:00.823  render           | Saved: '…'`). It does not
//! decide what to do with a line; the engine runner does.

/// What one line of Blender output says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogEvent<'a> {
    /// A progress line of this frame (`Fra:12 Mem:…`).
    Rendering { frame: u64 },
    /// A frame file was written completely.
    Saved { path: &'a str },
    /// Blender reported an error.
    Error { message: &'a str },
}

/// Parses one line of Blender output; `None` for lines that say nothing the agent uses.
pub fn parse_line(line: &str) -> Option<LogEvent<'_>> {
    let message = strip_logger_prefix(line.trim());
    if let Some(rest) = message.strip_prefix("Fra:") {
        let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
        return digits
            .parse()
            .ok()
            .map(|frame| LogEvent::Rendering { frame });
    }
    if let Some(rest) = message.strip_prefix("Saved:") {
        let quoted = rest.trim();
        let path = quoted
            .strip_prefix('\'')
            .and_then(|inner| inner.strip_suffix('\''))
            .unwrap_or(quoted);
        return (!path.is_empty()).then_some(LogEvent::Saved { path });
    }
    for marker in ["Error:", "ERROR", "EXCEPTION"] {
        if message.starts_with(marker) {
            return Some(LogEvent::Error { message });
        }
    }
    None
}

/// Blender 5 writes `<elapsed>  <logger>  | <message>`; older versions write the message only.
fn strip_logger_prefix(line: &str) -> &str {
    let Some((prefix, message)) = line.split_once("| ") else {
        return line;
    };
    let mut words = prefix.split_whitespace();
    let elapsed = words.next().unwrap_or_default();
    let looks_like_elapsed = !elapsed.is_empty()
        && elapsed.starts_with(|c: char| c.is_ascii_digit())
        && elapsed
            .chars()
            .all(|c| c.is_ascii_digit() || c == ':' || c == '.');
    let logger_then_end = words.next().is_some() && words.next().is_none();
    if looks_like_elapsed && logger_then_end {
        message.trim_start()
    } else {
        line
    }
}

/// The frame number a file name carries: the last group of digits in its stem, as Blender's
/// `#` padding and most engines' `%04d` patterns write it.
pub fn frame_of_file_name(path: &str) -> Option<u64> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    let end = stem.rfind(|c: char| c.is_ascii_digit())? + 1;
    let start = stem[..end]
        .rfind(|c: char| !c.is_ascii_digit())
        .map_or(0, |index| index + 1);
    stem[start..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(sample: &str) -> Vec<LogEvent<'_>> {
        let mut seen: Vec<LogEvent<'_>> = Vec::new();
        for event in sample.lines().filter_map(parse_line) {
            // Progress lines repeat many times per frame; keep the first of each frame.
            if matches!(event, LogEvent::Rendering { .. }) && seen.last() == Some(&event) {
                continue;
            }
            seen.push(event);
        }
        seen
    }

    #[test]
    fn blender_3_output_yields_frames_and_saved_files_in_order() {
        let sample = include_str!("../../tests/data/blender-logs/blender-3.4.txt");
        assert_eq!(
            events(sample),
            vec![
                LogEvent::Rendering { frame: 1 },
                LogEvent::Saved {
                    path: "/tmp/bl/out/f_0000001.png"
                },
                LogEvent::Rendering { frame: 3 },
                LogEvent::Saved {
                    path: "/tmp/bl/out/f_0000003.png"
                },
                LogEvent::Rendering { frame: 5 },
                LogEvent::Saved {
                    path: "/tmp/bl/out/f_0000005.png"
                },
                LogEvent::Rendering { frame: 9 },
                LogEvent::Saved {
                    path: "/tmp/bl/out/f_0000009.png"
                },
            ]
        );
    }

    #[test]
    fn blender_4_output_reports_its_error_lines() {
        let sample = include_str!("../../tests/data/blender-logs/blender-4.2.txt");
        let found = events(sample);
        assert_eq!(
            found[1],
            LogEvent::Saved {
                path: "/work/out/f_0000011.exr"
            }
        );
        assert_eq!(
            found.last(),
            Some(&LogEvent::Error {
                message: "Error: Not freed memory blocks: 2, total unfreed memory 0.000122 MB"
            })
        );
    }

    #[test]
    fn blender_5_logger_prefix_is_stripped() {
        let sample = include_str!("../../tests/data/blender-logs/blender-5.0.txt");
        assert_eq!(
            events(sample),
            vec![
                LogEvent::Rendering { frame: 21 },
                LogEvent::Saved {
                    path: "/work/out/beauty/f_0000021.png"
                },
                LogEvent::Rendering { frame: 22 },
                LogEvent::Saved {
                    path: "/work/out/beauty/f_0000022.png"
                },
                LogEvent::Rendering { frame: 23 },
                LogEvent::Error {
                    message: "Error: Build without OpenImageDenoiser"
                },
            ]
        );
    }

    #[test]
    fn a_pipe_inside_a_classic_line_is_not_taken_for_a_logger_prefix() {
        assert_eq!(
            parse_line("Fra:7 Mem:9.04M (Peak 10.83M) | Time:00:00.00 | Sample 1/4"),
            Some(LogEvent::Rendering { frame: 7 })
        );
        assert_eq!(parse_line("Read blend: /tmp/a | b.blend"), None);
    }

    #[test]
    fn frame_numbers_come_from_the_last_digits_of_the_stem() {
        assert_eq!(frame_of_file_name("/out/f_0000012.png"), Some(12));
        assert_eq!(frame_of_file_name("/out/sh010_v3_0042.exr"), Some(42));
        assert_eq!(frame_of_file_name("/out/beauty.0007.tif"), Some(7));
        assert_eq!(frame_of_file_name("/out/frame.png"), None);
    }
}
