//! JSON patch (RFC 6902): `add`, `remove`, `replace`, `move`, `copy` and `test` operations at
//! JSON pointers (RFC 6901, with `~0`/`~1` escapes and `-` for the end of a list), applied in
//! order, all or nothing. Knows nothing of Kubernetes objects.

use serde_json::Value;

use super::PatchError;

/// `target` with every operation of `patch` applied in order; the first that fails fails the
/// whole patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Array(operations) = patch else {
        return Err(PatchError::DecodeJsonPatch {
            reason: "the patch must be a JSON list of operations".to_owned(),
        });
    };
    let operations = operations
        .iter()
        .enumerate()
        .map(|(index, operation)| Operation::decode(index, operation))
        .collect::<Result<Vec<_>, _>>()?;
    let mut document = target.clone();
    for operation in &operations {
        operation.apply(&mut document)?;
    }
    Ok(document)
}

/// One decoded operation; `index` is its position in the patch, for error messages.
struct Operation<'a> {
    index: usize,
    action: Action<'a>,
    pointer: &'a str,
    path: Vec<String>,
}

enum Action<'a> {
    Add(&'a Value),
    Remove,
    Replace(&'a Value),
    Move { from: &'a str, path: Vec<String> },
    Copy { from: &'a str, path: Vec<String> },
    Test(&'a Value),
}

impl<'a> Operation<'a> {
    fn decode(index: usize, operation: &'a Value) -> Result<Self, PatchError> {
        let invalid = |reason: String| PatchError::DecodeJsonPatchOperation { index, reason };
        let Value::Object(members) = operation else {
            return Err(invalid("an operation must be a JSON object".to_owned()));
        };
        let text = |name: &str| -> Result<&'a str, PatchError> {
            members
                .get(name)
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("missing string member \"{name}\"")))
        };
        let value = || -> Result<&'a Value, PatchError> {
            members
                .get("value")
                .ok_or_else(|| invalid("missing member \"value\"".to_owned()))
        };
        let op = text("op")?;
        let pointer = text("path")?;
        let path = parse_pointer(pointer).map_err(invalid)?;
        let source = || -> Result<(&'a str, Vec<String>), PatchError> {
            let from = text("from")?;
            let path = parse_pointer(from).map_err(invalid)?;
            Ok((from, path))
        };
        let action = match op {
            "add" => Action::Add(value()?),
            "remove" => Action::Remove,
            "replace" => Action::Replace(value()?),
            "test" => Action::Test(value()?),
            "move" => {
                let (from, path) = source()?;
                Action::Move { from, path }
            }
            "copy" => {
                let (from, path) = source()?;
                Action::Copy { from, path }
            }
            unknown => return Err(invalid(format!("unknown operation \"{unknown}\""))),
        };
        Ok(Operation {
            index,
            action,
            pointer,
            path,
        })
    }

    fn op_name(&self) -> &'static str {
        match self.action {
            Action::Add(_) => "add",
            Action::Remove => "remove",
            Action::Replace(_) => "replace",
            Action::Move { .. } => "move",
            Action::Copy { .. } => "copy",
            Action::Test(_) => "test",
        }
    }

    fn not_found(&self, pointer: &str) -> PatchError {
        PatchError::JsonPatchPathNotFound {
            index: self.index,
            op: self.op_name().to_owned(),
            pointer: pointer.to_owned(),
        }
    }

    fn apply(&self, document: &mut Value) -> Result<(), PatchError> {
        match &self.action {
            Action::Add(value) => add(document, &self.path, (*value).clone())
                .ok_or_else(|| self.not_found(self.pointer)),
            Action::Remove => remove(document, &self.path)
                .map(drop)
                .ok_or_else(|| self.not_found(self.pointer)),
            Action::Replace(value) => {
                let slot = resolve_mut(document, &self.path)
                    .ok_or_else(|| self.not_found(self.pointer))?;
                *slot = (*value).clone();
                Ok(())
            }
            Action::Test(expected) => {
                // As the apiserver's JSON patch library does: a missing member tests equal to
                // null, which is how clients assert "no finalizers yet" before adding some.
                let Some(actual) = resolve(document, &self.path) else {
                    return if expected.is_null() {
                        Ok(())
                    } else {
                        Err(self.not_found(self.pointer))
                    };
                };
                if json_equal(actual, expected) {
                    Ok(())
                } else {
                    Err(PatchError::JsonPatchTestFailed {
                        index: self.index,
                        pointer: self.pointer.to_owned(),
                    })
                }
            }
            Action::Move { from, path } => {
                if path == &self.path {
                    return resolve(document, path)
                        .map(drop)
                        .ok_or_else(|| self.not_found(from));
                }
                if self.path.starts_with(path) {
                    return Err(PatchError::JsonPatchMoveIntoChild {
                        index: self.index,
                        from: (*from).to_owned(),
                        pointer: self.pointer.to_owned(),
                    });
                }
                let value = remove(document, path).ok_or_else(|| self.not_found(from))?;
                add(document, &self.path, value).ok_or_else(|| self.not_found(self.pointer))
            }
            Action::Copy { from, path } => {
                let value = resolve(document, path)
                    .cloned()
                    .ok_or_else(|| self.not_found(from))?;
                add(document, &self.path, value).ok_or_else(|| self.not_found(self.pointer))
            }
        }
    }
}

/// The reference tokens of a JSON pointer, unescaped.
fn parse_pointer(pointer: &str) -> Result<Vec<String>, String> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(tokens) = pointer.strip_prefix('/') else {
        return Err(format!("JSON pointer \"{pointer}\" does not start with /"));
    };
    tokens
        .split('/')
        .map(|token| {
            unescape_token(token)
                .ok_or_else(|| format!("JSON pointer \"{pointer}\" has an invalid ~ escape"))
        })
        .collect()
}

fn unescape_token(token: &str) -> Option<String> {
    let mut unescaped = String::with_capacity(token.len());
    let mut characters = token.chars();
    while let Some(character) = characters.next() {
        if character == '~' {
            match characters.next() {
                Some('0') => unescaped.push('~'),
                Some('1') => unescaped.push('/'),
                _ => return None,
            }
        } else {
            unescaped.push(character);
        }
    }
    Some(unescaped)
}

/// A list index as RFC 6901 allows it: digits, no leading zero.
fn parse_index(token: &str) -> Option<usize> {
    let digits_only = !token.is_empty() && token.bytes().all(|byte| byte.is_ascii_digit());
    if !digits_only || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

fn resolve<'v>(document: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(document, |value, token| match value {
        Value::Object(fields) => fields.get(token),
        Value::Array(items) => items.get(parse_index(token)?),
        _ => None,
    })
}

fn resolve_mut<'v>(document: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    path.iter().try_fold(document, |value, token| match value {
        Value::Object(fields) => fields.get_mut(token),
        Value::Array(items) => items.get_mut(parse_index(token)?),
        _ => None,
    })
}

/// Adds `value` at `path`: sets an object member, inserts into a list (`-` appends), or replaces
/// the whole document. `None` when the parent does not exist.
fn add(document: &mut Value, path: &[String], value: Value) -> Option<()> {
    let Some((last, parent_path)) = path.split_last() else {
        *document = value;
        return Some(());
    };
    match resolve_mut(document, parent_path)? {
        Value::Object(fields) => {
            fields.insert(last.clone(), value);
            Some(())
        }
        Value::Array(items) => {
            let position = if last == "-" {
                items.len()
            } else {
                parse_index(last).filter(|index| *index <= items.len())?
            };
            items.insert(position, value);
            Some(())
        }
        _ => None,
    }
}

/// Removes and returns the value at `path`; `None` when there is none (or `path` is the root).
fn remove(document: &mut Value, path: &[String]) -> Option<Value> {
    let (last, parent_path) = path.split_last()?;
    match resolve_mut(document, parent_path)? {
        Value::Object(fields) => fields.remove(last),
        Value::Array(items) => {
            let index = parse_index(last).filter(|index| *index < items.len())?;
            Some(items.remove(index))
        }
        _ => None,
    }
}

/// Equality as RFC 6902 `test` defines it: numbers compare by value (`1` equals `1.0`).
fn json_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Number(left), Value::Number(right)) => {
            if left.is_f64() || right.is_f64() {
                left.as_f64() == right.as_f64()
            } else {
                left == right
            }
        }
        (Value::Array(left), Value::Array(right)) => {
            left.len() == right.len() && left.iter().zip(right).all(|(l, r)| json_equal(l, r))
        }
        (Value::Object(left), Value::Object(right)) => {
            left.len() == right.len()
                && left
                    .iter()
                    .all(|(key, l)| right.get(key).is_some_and(|r| json_equal(l, r)))
        }
        _ => left == right,
    }
}

#[cfg(test)]
mod tests;
