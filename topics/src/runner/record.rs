//! A consumed record as the runner keeps it, built for the hot path: topic and key are shared
//! (`Arc<str>`, cloned per lane and per delivery without allocating) and all headers live in
//! one buffer, so a record costs four allocations however many headers it carries.

use std::sync::Arc;

/// A fetched record (fresh from Kafka or re-read from the retry schedule).
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) topic: Arc<str>,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    /// Record key as text; keyless records share the empty key.
    pub(crate) key: Arc<str>,
    pub(crate) payload: Option<Vec<u8>>,
    pub(crate) headers: HeaderBlock,
}

/// Headers in order, names and values packed in one buffer.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderBlock {
    bytes: Vec<u8>,
    /// `(name start, value start, value end)` into `bytes`.
    spans: Vec<(usize, usize, usize)>,
}

impl HeaderBlock {
    /// An empty block sized for `count` headers of `bytes` bytes in total.
    pub(crate) fn with_capacity(count: usize, bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes),
            spans: Vec::with_capacity(count),
        }
    }

    /// Appends a header.
    pub(crate) fn push(&mut self, name: &str, value: &[u8]) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(name.as_bytes());
        let value_start = self.bytes.len();
        self.bytes.extend_from_slice(value);
        self.spans.push((start, value_start, self.bytes.len()));
    }

    /// Headers in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.spans.iter().map(|&(start, value_start, end)| {
            // Names are only ever pushed from `&str`, so this never falls back.
            let name = std::str::from_utf8(&self.bytes[start..value_start]).unwrap_or_default();
            (name, &self.bytes[value_start..end])
        })
    }

    /// The first value of `name`, as text.
    pub(crate) fn get_str(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(header, _)| *header == name)
            .and_then(|(_, value)| std::str::from_utf8(value).ok())
    }

    /// Builds a block from owned pairs.
    pub(crate) fn from_pairs<N: AsRef<str>, V: AsRef<[u8]>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        let mut block = Self::default();
        for (name, value) in pairs {
            block.push(name.as_ref(), value.as_ref());
        }
        block
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_order_and_duplicates_and_find_the_first() {
        let block = HeaderBlock::from_pairs([("a", "1"), ("b", ""), ("a", "2")]);
        assert_eq!(block.get_str("a"), Some("1"));
        assert_eq!(block.get_str("b"), Some(""));
        assert_eq!(block.get_str("c"), None);
        let pairs: Vec<_> = block.iter().collect();
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[2], ("a", &b"2"[..]));
    }
}
