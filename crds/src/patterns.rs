//! The regular expressions behind the CRD's CEL rules and the Rust validators. Each pattern is
//! written once here: the schema embeds it in a CEL `matches()` call and Rust code matches with
//! the same text, so the apiserver and the operator cannot disagree on what is valid.
//!
//! Patterns use only syntax that RE2 (the apiserver) and the `regex` crate read the same way.

use std::sync::LazyLock;

use regex::Regex;

/// A regular expression shared by a CEL rule and a Rust check.
#[derive(Debug)]
pub struct Pattern {
    source: &'static str,
    regex: LazyLock<Regex, fn() -> Regex>,
}

impl Pattern {
    const fn new(source: &'static str, compile: fn() -> Regex) -> Self {
        Self {
            source,
            regex: LazyLock::new(compile),
        }
    }

    pub fn source(&self) -> &'static str {
        self.source
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// The CEL expression `<target>.findAll('<pattern>')`: every match, as a list of strings.
    pub fn cel_matches_all(&self, target: &str) -> String {
        format!("{target}.findAll('{}')", cel_string_body(self.source))
    }

    /// The CEL expression `<target>.matches('<pattern>')`.
    pub fn cel_matches(&self, target: &str) -> String {
        format!("{target}.matches('{}')", cel_string_body(self.source))
    }
}

/// Escapes text for the inside of a single-quoted CEL string literal.
fn cel_string_body(text: &str) -> String {
    text.replace('\\', r"\\").replace('\'', r"\'")
}

fn compile(source: &str) -> Regex {
    // Every pattern is a constant below, and `every_pattern_compiles` proves each one parses.
    Regex::new(source).unwrap_or_else(|error| panic!("pattern {source:?} is invalid: {error}"))
}

macro_rules! patterns {
    ($($(#[$doc:meta])* $name:ident = $source:literal;)*) => {
        $(
            $(#[$doc])*
            pub static $name: Pattern = Pattern::new($source, || compile($source));
        )*
        #[cfg(test)]
        pub(crate) static ALL: &[&Pattern] = &[$(&$name),*];
    };
}

patterns! {
    /// `1-240`, `1-240x2`, `1,5,10-20`: the frame set syntax, without semantic checks.
    FRAME_SET = r"^[0-9]{1,7}(-[0-9]{1,7}(x[0-9]{1,7})?)?(,[0-9]{1,7}(-[0-9]{1,7}(x[0-9]{1,7})?)?)*$";
    /// A frame set that is one range, with or without a step: `1-240`, `1-240x2`.
    FRAME_SET_SINGLE_RANGE = r"^[0-9]{1,7}-[0-9]{1,7}(x[0-9]{1,7})?$";
    /// A number in a frame set.
    FRAME_NUMBER = r"[0-9]+";
    /// A zero step anywhere in a frame set.
    FRAME_SET_ZERO_STEP = r"x0+(,|$)";
    /// `s3://bucket/key`: an object (no trailing slash, no empty segments).
    S3_OBJECT_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^/\x00-\x1f\x7f\\]+)+$";
    /// `s3://bucket`, `s3://bucket/prefix` or `s3://bucket/prefix/`: a place to write objects.
    S3_PREFIX_URI = r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^/\x00-\x1f\x7f\\]+)*/?$";
    /// A `.` or `..` path segment, which would let a path escape its folder.
    DOT_SEGMENT = r"(^|/)\.\.?(/|$)";
    /// A relative path (folder when it ends in `/`), without empty segments or control chars.
    RELATIVE_PATH = r"^[^/\x00-\x1f\x7f\\]+(/[^/\x00-\x1f\x7f\\]+)*/?$";
    /// A cloud region name such as `us-east-1` or `eu-central-2`.
    REGION = r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$";
    /// `http(s)://host[:port]` with no credentials, path or query.
    ENDPOINT = r"^https?://(([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?/?$";
    /// An `@`, which in a URL introduces credentials.
    AT_SIGN = r"@";
    /// A Kubernetes object name (DNS subdomain).
    DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /// A key inside a Secret.
    SECRET_KEY = r"^[-._a-zA-Z0-9]+$";
    /// A label or annotation key: optional DNS-subdomain prefix and `/`, then a name.
    LABEL_KEY = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";
    /// A label value.
    LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$";
    /// A container image reference: `registry[:port]/path/name[:tag][@sha256:digest]`.
    IMAGE = r"^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$";
    /// An argument template: text, `{name}` or `{name:0N}` placeholders, `{{` and `}}` escapes.
    ARG_TEMPLATE = r"^([^{}\x00-\x1f\x7f]|\{\{|\}\}|\{[a-z][a-z0-9_]*(:0[1-9])?\})*$";
    /// A brace, which opens or closes a placeholder.
    BRACE = r"[{}]";
    /// A program that would run its arguments as a shell string.
    SHELL_PROGRAM = r"(^|/)(sh|bash|dash|zsh|ksh|mksh|csh|tcsh|fish|busybox|env|cmd|cmd\.exe|powershell|pwsh)$";
    /// A command engine parameter name.
    PARAMETER_NAME = r"^[a-z][a-z0-9_]{0,31}$";
    /// An output file name template: safe characters, `/` for folders, `{frame}` placeholders.
    OUTPUT_NAMING = r"^([A-Za-z0-9_.+-]|/|\{frame(:0[1-9])?\})+$";
    /// The frame placeholder of an output name.
    FRAME_PLACEHOLDER = r"\{frame(:0[1-9])?\}";
    /// A Blender option value: a number or a word, never an option, shell syntax or a path.
    BLENDER_VALUE = r"^(-[0-9][0-9.]*|[A-Za-z0-9_][A-Za-z0-9_.,=+:-]*)$";
    /// A whole number, 0 or more.
    NATURAL = r"^[0-9]{1,18}$";
    /// A whole number, possibly negative.
    INTEGER = r"^-?[0-9]{1,18}$";
    /// A decimal number such as `0.5` or `-2`.
    REAL = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$";
    /// A word: letters, digits, `_ . + -`, not starting with `-`.
    WORD = r"^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,127}$";
    /// A relative path of words: no leading `/`, no `.` or `..` segments, no leading `-`.
    PATH = r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$";
    /// A file extension without the dot.
    EXTENSION = r"^[A-Za-z0-9]{1,16}$";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles() {
        for pattern in ALL {
            assert!(Regex::new(pattern.source()).is_ok(), "{}", pattern.source());
        }
    }

    #[test]
    fn cel_literals_escape_backslashes_and_quotes() {
        assert_eq!(
            DOT_SEGMENT.cel_matches("self"),
            r"self.matches('(^|/)\\.\\.?(/|$)')"
        );
        assert_eq!(cel_string_body("it's"), r"it\'s");
    }

    #[test]
    fn uris_and_paths() {
        assert!(S3_OBJECT_URI.is_match("s3://studio-renders/shots/sh010/scene v3.blend"));
        assert!(!S3_OBJECT_URI.is_match("s3://studio-renders/shots/"));
        assert!(!S3_OBJECT_URI.is_match("s3://Studio/scene.blend"));
        assert!(!S3_OBJECT_URI.is_match("s3://studio-renders//scene.blend"));
        assert!(!S3_OBJECT_URI.is_match("/home/artist/scene.blend"));
        assert!(S3_PREFIX_URI.is_match("s3://renders"));
        assert!(S3_PREFIX_URI.is_match("s3://renders/sh010/v003/"));
        assert!(DOT_SEGMENT.is_match("s3://renders/../etc"));
        assert!(DOT_SEGMENT.is_match("../x"));
        assert!(DOT_SEGMENT.is_match("a/."));
        assert!(!DOT_SEGMENT.is_match("a/.hidden/b..c"));
        assert!(RELATIVE_PATH.is_match("textures/"));
        assert!(!RELATIVE_PATH.is_match("/etc/passwd"));
    }

    #[test]
    fn endpoints_have_no_credentials_or_path() {
        for good in [
            "https://s3.example.com",
            "http://127.0.0.1:3900",
            "http://[::1]:9000/",
        ] {
            assert!(ENDPOINT.is_match(good), "{good}");
        }
        for bad in [
            "https://key:secret@s3.example.com",
            "https://s3.example.com/bucket",
            "ftp://x",
        ] {
            assert!(!ENDPOINT.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn typed_values_refuse_option_and_path_injection() {
        assert!(WORD.is_match("Scene.001"));
        assert!(!WORD.is_match("--python-expr"));
        assert!(!WORD.is_match("a;rm"));
        assert!(PATH.is_match("caches/fluid_v2"));
        assert!(!PATH.is_match("../secrets"));
        assert!(!PATH.is_match("/etc/passwd"));
        assert!(!PATH.is_match("-rf"));
        assert!(INTEGER.is_match("-5") && !NATURAL.is_match("-5"));
        assert!(REAL.is_match("0.25") && !REAL.is_match("1e9"));
        assert!(EXTENSION.is_match("exr") && !EXTENSION.is_match(".exr"));
        assert!(BLENDER_VALUE.is_match("-1") && !BLENDER_VALUE.is_match("$(id)"));
        assert!(!BLENDER_VALUE.is_match("-P"), "an option is not a value");
        assert!(SHELL_PROGRAM.is_match("/bin/sh") && SHELL_PROGRAM.is_match("bash"));
        assert!(!SHELL_PROGRAM.is_match("/usr/bin/magick"));
    }
}
