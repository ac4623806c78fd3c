//! Describing a JSON decoding failure without quoting the input.

/// A serde error's category and position, without echoing any input text: answers and pushes
/// can hold personal data, and serde quotes offending values (`invalid type: string "…"`).
/// Missing/unknown field messages name only the field, so they are kept.
pub fn describe_json_error(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if message.starts_with("missing field") || message.starts_with("unknown field") {
        message
    } else {
        format!(
            "{:?} error at line {} column {}",
            error.classify(),
            error.line(),
            error.column()
        )
    }
}
