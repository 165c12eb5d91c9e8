//! The part of Kubernetes' JSONPath that CRD printer columns use: fields (`.a.b`, `.a\.b`,
//! `['a.b']`), indexes (`[0]`, `[-1]`), wildcards (`[*]`, `.*`) and filters
//! (`[?(@.type=="Ready")]`, `[?(@.ready)]`). Recursive descent, slices, unions and functions are
//! not supported and fail to parse. Only the first match is ever used, as the apiserver does.

use serde_json::Value;

/// Why a printer column's JSONPath cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum JsonPathError {
    #[error("failed to parse JSONPath {path:?}: {reason}")]
    Parse { path: String, reason: String },
}

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    Index(i64),
    Wildcard,
    Filter(Filter),
}

#[derive(Clone, Debug, PartialEq)]
struct Filter {
    /// The path from `@`, the element being tested.
    subject: Vec<Step>,
    /// None: the element passes when `subject` exists.
    comparison: Option<(Comparison, Value)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Comparison {
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// A parsed JSONPath expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct JsonPath {
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses `.status.phase` and the like; the `{…}` braces of templates are optional.
    pub(crate) fn parse(path: &str) -> Result<JsonPath, JsonPathError> {
        let trimmed = path.trim();
        let inner = trimmed
            .strip_prefix('{')
            .and_then(|rest| rest.strip_suffix('}'))
            .unwrap_or(trimmed);
        let inner = inner.strip_prefix('$').unwrap_or(inner);
        let steps = Parser::new(inner)
            .steps(false)
            .map_err(|reason| JsonPathError::Parse {
                path: path.to_owned(),
                reason,
            })?;
        Ok(JsonPath { steps })
    }

    /// The first value the path reaches in `root`, if any.
    pub(crate) fn first_match<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        evaluate(&self.steps, root).into_iter().next()
    }
}

fn evaluate<'a>(steps: &[Step], root: &'a Value) -> Vec<&'a Value> {
    let mut current = vec![root];
    for step in steps {
        current = current
            .into_iter()
            .flat_map(|value| apply(step, value))
            .collect();
    }
    current
}

fn apply<'a>(step: &Step, value: &'a Value) -> Vec<&'a Value> {
    match (step, value) {
        (Step::Field(name), Value::Object(fields)) => fields.get(name).into_iter().collect(),
        (Step::Index(index), Value::Array(items)) => {
            let position = if *index < 0 {
                i64::try_from(items.len()).ok().map(|len| len + index)
            } else {
                Some(*index)
            };
            position
                .and_then(|position| usize::try_from(position).ok())
                .and_then(|position| items.get(position))
                .into_iter()
                .collect()
        }
        (Step::Wildcard, Value::Array(items)) => items.iter().collect(),
        (Step::Wildcard, Value::Object(fields)) => fields.values().collect(),
        (Step::Filter(filter), Value::Array(items)) => {
            items.iter().filter(|item| filter.accepts(item)).collect()
        }
        _ => Vec::new(),
    }
}

impl Filter {
    fn accepts(&self, item: &Value) -> bool {
        let found = evaluate(&self.subject, item);
        match &self.comparison {
            None => !found.is_empty(),
            Some((comparison, literal)) => match found.as_slice() {
                [one] => compare(one, *comparison, literal),
                _ => false,
            },
        }
    }
}

fn compare(left: &Value, comparison: Comparison, right: &Value) -> bool {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Value::String(left), Value::String(right)) => Some(left.cmp(right)),
        (Value::Number(left), Value::Number(right)) => left
            .as_f64()
            .zip(right.as_f64())
            .and_then(|(left, right)| left.partial_cmp(&right)),
        (Value::Bool(left), Value::Bool(right)) => Some(left.cmp(right)),
        _ => None,
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match comparison {
        Comparison::Equal => ordering == Ordering::Equal,
        Comparison::NotEqual => ordering != Ordering::Equal,
        Comparison::Less => ordering == Ordering::Less,
        Comparison::LessOrEqual => ordering != Ordering::Greater,
        Comparison::Greater => ordering == Ordering::Greater,
        Comparison::GreaterOrEqual => ordering != Ordering::Less,
    }
}

struct Parser<'a> {
    rest: &'a str,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser { rest: text }
    }

    fn eat(&mut self, prefix: &str) -> bool {
        match self.rest.strip_prefix(prefix) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    /// Steps until the end of input or, inside a filter, until the comparison operator or `)`.
    fn steps(&mut self, inside_filter: bool) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        loop {
            if inside_filter {
                self.rest = self.rest.trim_start();
            }
            if self.rest.is_empty() {
                return Ok(steps);
            }
            if inside_filter && self.rest.starts_with(['=', '!', '<', '>', ')']) {
                return Ok(steps);
            }
            if self.eat("..") {
                return Err("recursive descent is not supported".to_owned());
            }
            if self.eat(".") {
                steps.push(self.field()?);
            } else if self.eat("[") {
                steps.push(self.bracket()?);
            } else {
                return Err(format!("unexpected {:?}", self.rest));
            }
        }
    }

    fn field(&mut self) -> Result<Step, String> {
        if self.eat("*") {
            return Ok(Step::Wildcard);
        }
        let mut name = String::new();
        let mut chars = self.rest.char_indices();
        let mut end = self.rest.len();
        while let Some((at, character)) = chars.next() {
            match character {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        name.push(escaped);
                    }
                }
                '.' | '[' | ']' | '=' | '!' | '<' | '>' | ')' | ' ' => {
                    end = at;
                    break;
                }
                other => name.push(other),
            }
        }
        self.rest = &self.rest[end..];
        if name.is_empty() {
            return Err("empty field name".to_owned());
        }
        Ok(Step::Field(name))
    }

    fn bracket(&mut self) -> Result<Step, String> {
        if self.eat("?(") {
            let filter = self.filter()?;
            if !self.eat(")]") {
                return Err("unterminated filter".to_owned());
            }
            return Ok(Step::Filter(filter));
        }
        if self.eat("*]") {
            return Ok(Step::Wildcard);
        }
        if let Some(quote) = self.rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let (name, rest) = quoted(&self.rest[1..], quote)?;
            self.rest = rest;
            if !self.eat("]") {
                return Err("unterminated bracket".to_owned());
            }
            return Ok(Step::Field(name));
        }
        let close = self.rest.find(']').ok_or("unterminated bracket")?;
        let index = self.rest[..close]
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("unsupported subscript {:?}", &self.rest[..close]))?;
        self.rest = &self.rest[close + 1..];
        Ok(Step::Index(index))
    }

    fn filter(&mut self) -> Result<Filter, String> {
        if !self.eat("@") {
            return Err("a filter must start with @".to_owned());
        }
        let subject = self.steps(true)?;
        let operators = [
            ("==", Comparison::Equal),
            ("!=", Comparison::NotEqual),
            ("<=", Comparison::LessOrEqual),
            (">=", Comparison::GreaterOrEqual),
            ("<", Comparison::Less),
            (">", Comparison::Greater),
        ];
        let Some(comparison) = operators
            .iter()
            .find_map(|(text, comparison)| self.eat(text).then_some(*comparison))
        else {
            return Ok(Filter {
                subject,
                comparison: None,
            });
        };
        let literal = self.literal()?;
        Ok(Filter {
            subject,
            comparison: Some((comparison, literal)),
        })
    }

    fn literal(&mut self) -> Result<Value, String> {
        self.rest = self.rest.trim_start();
        if let Some(quote) = self.rest.chars().next().filter(|c| *c == '\'' || *c == '"') {
            let (text, rest) = quoted(&self.rest[1..], quote)?;
            self.rest = rest;
            return Ok(Value::String(text));
        }
        let end = self.rest.find(')').ok_or("unterminated filter")?;
        let text = self.rest[..end].trim();
        let value = match text {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            number => serde_json::from_str::<serde_json::Number>(number)
                .map(Value::Number)
                .map_err(|_| format!("unsupported literal {number:?}"))?,
        };
        self.rest = &self.rest[end..];
        Ok(value)
    }
}

/// The text up to the closing `quote` (backslash escapes it) and what follows the quote.
fn quoted(text: &str, quote: char) -> Result<(String, &str), String> {
    let mut content = String::new();
    let mut chars = text.char_indices();
    while let Some((at, character)) = chars.next() {
        match character {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    content.push(escaped);
                }
            }
            c if c == quote => return Ok((content, &text[at + c.len_utf8()..])),
            other => content.push(other),
        }
    }
    Err("unterminated quoted string".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn first(path: &str, object: &Value) -> Option<Value> {
        JsonPath::parse(path).unwrap().first_match(object).cloned()
    }

    fn shot() -> Value {
        json!({
            "metadata": {"name": "sh010", "labels": {"app.kubernetes.io/name": "farm"}},
            "spec": {"frames": "1-100", "outputs": [{"name": "beauty"}, {"name": "depth"}]},
            "status": {
                "phase": "Rendering",
                "conditions": [
                    {"type": "Reconciling", "status": "True", "priority": 1},
                    {"type": "Ready", "status": "False", "priority": 2}
                ]
            }
        })
    }

    #[test]
    fn dotted_fields_walk_into_objects() {
        assert_eq!(first(".status.phase", &shot()), Some(json!("Rendering")));
        assert_eq!(first("{.spec.frames}", &shot()), Some(json!("1-100")));
        assert_eq!(first("$.metadata.name", &shot()), Some(json!("sh010")));
    }

    #[test]
    fn missing_fields_match_nothing() {
        assert_eq!(first(".status.progress", &shot()), None);
        assert_eq!(first(".status.phase.deeper", &shot()), None);
    }

    #[test]
    fn keys_with_dots_are_escaped_or_quoted() {
        let escaped = r".metadata.labels.app\.kubernetes\.io/name";
        assert_eq!(first(escaped, &shot()), Some(json!("farm")));
        let quoted = ".metadata.labels['app.kubernetes.io/name']";
        assert_eq!(first(quoted, &shot()), Some(json!("farm")));
    }

    #[test]
    fn indexes_count_from_either_end() {
        assert_eq!(
            first(".spec.outputs[0].name", &shot()),
            Some(json!("beauty"))
        );
        assert_eq!(
            first(".spec.outputs[-1].name", &shot()),
            Some(json!("depth"))
        );
        assert_eq!(first(".spec.outputs[2].name", &shot()), None);
    }

    #[test]
    fn wildcards_give_the_first_element() {
        assert_eq!(
            first(".spec.outputs[*].name", &shot()),
            Some(json!("beauty"))
        );
        assert_eq!(
            first(".spec.outputs.*.name", &shot()),
            Some(json!("beauty"))
        );
    }

    #[test]
    fn filters_pick_list_items_by_a_field() {
        let ready = r#".status.conditions[?(@.type=="Ready")].status"#;
        assert_eq!(first(ready, &shot()), Some(json!("False")));
        let single_quoted = ".status.conditions[?(@.type == 'Reconciling')].status";
        assert_eq!(first(single_quoted, &shot()), Some(json!("True")));
        let unequal = r#".status.conditions[?(@.type!="Reconciling")].type"#;
        assert_eq!(first(unequal, &shot()), Some(json!("Ready")));
        let numeric = ".status.conditions[?(@.priority>1)].type";
        assert_eq!(first(numeric, &shot()), Some(json!("Ready")));
        let exists = ".spec.outputs[?(@.name)].name";
        assert_eq!(first(exists, &shot()), Some(json!("beauty")));
        let none = r#".status.conditions[?(@.type=="Stalled")].status"#;
        assert_eq!(first(none, &shot()), None);
    }

    #[test]
    fn unsupported_syntax_is_a_parse_error() {
        assert!(JsonPath::parse("..status").is_err());
        assert!(JsonPath::parse(".spec.outputs[0:1]").is_err());
        assert!(JsonPath::parse(".status.conditions[?(@.type==\"Ready\"").is_err());
        assert!(JsonPath::parse("status").is_err());
    }
}
