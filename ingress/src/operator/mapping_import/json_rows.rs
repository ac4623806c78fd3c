//! Mapping rows from a JSON document: a top-level array of objects, each reported at the line
//! where it starts.
//!
//! Contract: the document must be one array (else the whole file is refused). Each element is
//! read on its own, so a bad element (not an object, invalid JSON, an unknown field, a nested
//! value) is one refused row at its line and the others still count. Numbers and booleans may be
//! JSON numbers/booleans or strings; `null` means absent.

use serde_json::{Map, Value};

use super::row::RawRow;
use super::{Parsed, Rejected};

/// The rows of `text`, and the elements that are not rows; `Err` when `text` is not an array.
pub(crate) fn rows(text: &str) -> Result<Parsed, String> {
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for (line, element) in elements(text)? {
        match serde_json::from_str::<Value>(element) {
            Ok(Value::Object(object)) => match row(line, &object) {
                Ok(row) => rows.push(row),
                Err(reason) => rejected.push(Rejected { line, reason }),
            },
            Ok(_) => rejected.push(Rejected {
                line,
                reason: "the element is not an object".into(),
            }),
            Err(error) => rejected.push(Rejected {
                line,
                reason: format!("invalid JSON: {error}"),
            }),
        }
    }
    Ok((rows, rejected))
}

/// One object as a row.
pub(crate) fn row(line: u64, object: &Map<String, Value>) -> Result<RawRow, String> {
    let mut row = RawRow::at(line);
    for (name, value) in object {
        let text = match value {
            Value::Null => String::new(),
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            Value::Bool(flag) => flag.to_string(),
            Value::Array(_) | Value::Object(_) => {
                return Err(format!("{name} must be a string, a number or a boolean"))
            }
        };
        if !row.set(name, &text) {
            return Err(format!("unknown field {name:?}"));
        }
    }
    Ok(row)
}

/// The text of each top-level array element with the line it starts on.
fn elements(text: &str) -> Result<Vec<(u64, &str)>, String> {
    let bytes = text.as_bytes();
    let mut scan = Scan {
        bytes,
        at: 0,
        line: 1,
    };
    scan.skip_space();
    if scan.at < bytes.len() && bytes[scan.at..].starts_with("\u{feff}".as_bytes()) {
        scan.at += 3;
        scan.skip_space();
    }
    if bytes.get(scan.at) != Some(&b'[') {
        return Err("a JSON import is an array of mapping objects".into());
    }
    scan.at += 1;
    let mut out = Vec::new();
    loop {
        scan.skip_space();
        match bytes.get(scan.at) {
            None => return Err("the array is not closed".into()),
            Some(b']') if out.is_empty() => break,
            _ => {}
        }
        let (start, line) = (scan.at, scan.line);
        let end = scan.element_end()?;
        out.push((line, text[start..end].trim_end()));
        match bytes.get(scan.at) {
            Some(b',') => scan.at += 1,
            Some(b']') => break,
            _ => return Err("the array is not closed".into()),
        }
    }
    scan.at += 1;
    scan.skip_space();
    if scan.at != bytes.len() {
        return Err(format!("text after the array at line {}", scan.line));
    }
    Ok(out)
}

struct Scan<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl Scan<'_> {
    fn skip_space(&mut self) {
        while let Some(&byte) = self.bytes.get(self.at) {
            match byte {
                b'\n' => self.line += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => return,
            }
            self.at += 1;
        }
    }

    /// Moves to the `,` or `]` that ends the current element (outside strings and nesting).
    fn element_end(&mut self) -> Result<usize, String> {
        let mut depth = 0usize;
        let mut in_string = false;
        while let Some(&byte) = self.bytes.get(self.at) {
            if in_string {
                match byte {
                    b'\\' => self.at += 1,
                    b'"' => in_string = false,
                    b'\n' => self.line += 1,
                    _ => {}
                }
            } else {
                match byte {
                    b'"' => in_string = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' if depth > 0 => depth -= 1,
                    b',' | b']' if depth == 0 => return Ok(self.at),
                    b'}' => return Err(format!("unbalanced '}}' at line {}", self.line)),
                    b'\n' => self.line += 1,
                    _ => {}
                }
            }
            self.at += 1;
        }
        Err("the array is not closed".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_element_is_read_alone_at_its_line() {
        let text = "[\n  {\"sku_id\": 1, \"fulfiller\": \"local_stock\", \"is_active\": true},\n  {\"sku_id\": \"2\",\n   \"fulfiller\": \"x,]\"},\n  [1],\n  {\"sku_id\": {\"a\": 1}},\n  {\"colour\": \"red\"},\n  {\"sku_id\": 1 2}\n]\n";
        let (rows, rejected) = rows(text).expect("an array");
        let lines: Vec<u64> = rows.iter().map(|row| row.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert_eq!(rows[0].values[9].as_deref(), Some("true"));
        assert_eq!(rows[1].values[1].as_deref(), Some("x,]"));
        let refused: Vec<(u64, &str)> = rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(refused[0], (5, "the element is not an object"));
        assert_eq!(
            refused[1],
            (6, "sku_id must be a string, a number or a boolean")
        );
        assert_eq!(refused[2], (7, "unknown field \"colour\""));
        assert_eq!(refused[3].0, 8);
        assert!(refused[3].1.starts_with("invalid JSON"), "{}", refused[3].1);
    }

    #[test]
    fn anything_but_one_array_is_refused_whole() {
        assert_eq!(rows("[]").map(|(rows, _)| rows.len()), Ok(0));
        for text in ["{}", "", "[{\"sku_id\":1}", "[1] [2]", "[{]"] {
            assert!(rows(text).is_err(), "{text}");
        }
    }
}
