//! A small RFC 4180 reader for mapping imports: each record with the line it starts on.
//!
//! Contract: fields are separated by `,`, records by LF or CRLF; a field in double quotes may hold
//! commas, line breaks and `""` (one quote). Blank lines are skipped and a leading UTF-8 BOM is
//! ignored. A malformed record (a quote inside an unquoted field, text after a closing quote)
//! is one error at its line and reading goes on at the next line; an unterminated quote is one
//! error that ends the file.

/// One record and the 1-based line it starts on.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) line: u64,
    pub(crate) fields: Vec<String>,
}

/// A record that could not be read, at its line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BadRecord {
    pub(crate) line: u64,
    pub(crate) reason: String,
}

/// Every record of `text`, in order, good or bad.
pub(crate) fn records(text: &str) -> Vec<Result<Record, BadRecord>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = Reader {
        chars: text.chars().peekable(),
        line: 1,
    };
    let mut out = Vec::new();
    while reader.chars.peek().is_some() {
        let line = reader.line;
        match reader.record() {
            Ok(fields) if fields.len() == 1 && fields[0].is_empty() => {}
            Ok(fields) => out.push(Ok(Record { line, fields })),
            Err(reason) => {
                out.push(Err(BadRecord { line, reason }));
                reader.skip_line();
            }
        }
    }
    out
}

struct Reader<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: u64,
}

impl Reader<'_> {
    /// Reads one record up to and including its line break.
    fn record(&mut self) -> Result<Vec<String>, String> {
        let mut fields = Vec::new();
        loop {
            let field = if self.chars.peek() == Some(&'"') {
                self.chars.next();
                self.quoted()?
            } else {
                self.unquoted()?
            };
            fields.push(field);
            match self.chars.next() {
                Some(',') => continue,
                None => return Ok(fields),
                Some('\n') => {
                    self.line += 1;
                    return Ok(fields);
                }
                Some('\r') if self.chars.peek() == Some(&'\n') => {
                    self.chars.next();
                    self.line += 1;
                    return Ok(fields);
                }
                Some(other) => return Err(format!("unexpected {other:?} after a quoted field")),
            }
        }
    }

    fn unquoted(&mut self) -> Result<String, String> {
        let mut field = String::new();
        while let Some(&c) = self.chars.peek() {
            match c {
                ',' | '\n' => break,
                '\r' if self.crlf_ahead() => break,
                '"' => return Err("a quote inside an unquoted field".into()),
                _ => {
                    field.push(c);
                    self.chars.next();
                }
            }
        }
        Ok(field)
    }

    /// True when the next two characters are CRLF (peeks without consuming).
    fn crlf_ahead(&self) -> bool {
        let mut ahead = self.chars.clone();
        ahead.next() == Some('\r') && ahead.next() == Some('\n')
    }

    fn quoted(&mut self) -> Result<String, String> {
        let mut field = String::new();
        loop {
            match self.chars.next() {
                None => return Err("unterminated quoted field".into()),
                Some('"') if self.chars.peek() == Some(&'"') => {
                    self.chars.next();
                    field.push('"');
                }
                Some('"') => return Ok(field),
                Some(c) => {
                    if c == '\n' {
                        self.line += 1;
                    }
                    field.push(c);
                }
            }
        }
    }

    fn skip_line(&mut self) {
        for c in self.chars.by_ref() {
            if c == '\n' {
                self.line += 1;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good(text: &str) -> Vec<(u64, Vec<String>)> {
        records(text)
            .into_iter()
            .map(|record| {
                let record = record.expect("good record");
                (record.line, record.fields)
            })
            .collect()
    }

    fn fields(list: &[&str]) -> Vec<String> {
        list.iter().map(|field| (*field).to_owned()).collect()
    }

    #[test]
    fn plain_quoted_and_crlf_records_keep_their_lines() {
        let text = "\u{feff}a,b,c\r\n1,,3\n\n\"x,\"\"y\"\"\nz\",2,\"\"\n4,5,6";
        assert_eq!(
            good(text),
            vec![
                (1, fields(&["a", "b", "c"])),
                (2, fields(&["1", "", "3"])),
                (4, fields(&["x,\"y\"\nz", "2", ""])),
                (6, fields(&["4", "5", "6"])),
            ]
        );
    }

    #[test]
    fn a_bad_record_is_reported_at_its_line_and_reading_goes_on() {
        let all = records("a,b\n1,x\"y\n\"q\"z,2\n3,4\n");
        assert_eq!(all.len(), 4);
        assert_eq!(
            all[1],
            Err(BadRecord {
                line: 2,
                reason: "a quote inside an unquoted field".into()
            })
        );
        assert!(matches!(&all[2], Err(BadRecord { line: 3, .. })));
        assert_eq!(
            all[3],
            Ok(Record {
                line: 4,
                fields: vec!["3".into(), "4".into()]
            })
        );
    }

    #[test]
    fn an_unterminated_quote_ends_the_file_with_one_error() {
        let all = records("a\n\"open\n1\n2\n");
        assert_eq!(all.len(), 2);
        assert_eq!(
            all[1],
            Err(BadRecord {
                line: 2,
                reason: "unterminated quoted field".into()
            })
        );
    }
}
