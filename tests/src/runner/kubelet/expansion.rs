//! `$(VAR)` references in commands, args, env values and `subPathExpr`, expanded as the kubelet
//! expands them: `$$` escapes a `$`, an unknown or unterminated reference stays as written.
//! Pure; shell syntax (`$VAR`, `${VAR}`) is left to the shell.

/// Expands `$(NAME)` with `lookup`.
pub fn expand<'a>(input: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut output = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(dollar) = rest.find('$') {
        output.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        match after.chars().next() {
            Some('$') => {
                output.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Some(value) => output.push_str(value),
                        None => {
                            output.push_str("$(");
                            output.push_str(name);
                            output.push(')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    output.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(other) => {
                output.push('$');
                output.push(other);
                rest = &after[other.len_utf8()..];
            }
            None => {
                output.push('$');
                rest = after;
            }
        }
    }
    output.push_str(rest);
    output
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn with(vars: &[(&str, &str)], input: &str) -> String {
        let map: BTreeMap<&str, &str> = vars.iter().copied().collect();
        expand(input, |name| map.get(name).copied())
    }

    #[test]
    fn references_to_known_variables_are_replaced() {
        assert_eq!(
            with(&[("SHOT", "sh010")], "render-$(SHOT).exr"),
            "render-sh010.exr"
        );
        assert_eq!(with(&[("A", "1"), ("B", "2")], "$(A)$(B)"), "12");
    }

    #[test]
    fn unknown_references_stay_as_written() {
        assert_eq!(with(&[], "echo $(MISSING)"), "echo $(MISSING)");
    }

    #[test]
    fn a_double_dollar_escapes_the_reference() {
        assert_eq!(with(&[("A", "1")], "$$(A) costs $$5"), "$(A) costs $5");
    }

    #[test]
    fn shell_syntax_and_unterminated_references_pass_through() {
        assert_eq!(with(&[("A", "1")], "echo $A ${A} $(A"), "echo $A ${A} $(A");
        assert_eq!(with(&[], "total: 5$"), "total: 5$");
    }
}
