//! A consumed record as the runner keeps it, built for the hot path: topic and key are shared
//! (`Arc<str>`, cloned per lane and per delivery without allocating) and all headers live in
//! one buffer, so a record costs three allocations (key, payload, headers) however many headers
//! it carries.

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

/// Headers in order, packed in one buffer: per header the name's and the value's length
/// (`u32`, little-endian), then the name and the value. A block is one allocation however many
/// headers it holds, and a lookup walks a handful of short entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderBlock {
    bytes: Vec<u8>,
}

const LENGTHS: usize = 8;

fn length(bytes: &[u8]) -> usize {
    let mut raw = [0_u8; 4];
    raw.copy_from_slice(&bytes[..4]);
    u32::from_le_bytes(raw) as usize
}

impl HeaderBlock {
    /// An empty block with room for `bytes` bytes of names and values.
    pub(crate) fn with_capacity(count: usize, bytes: usize) -> Self {
        Self {
            bytes: Vec::with_capacity(bytes + count * LENGTHS),
        }
    }

    /// Appends a header. Names and values longer than 4 GiB cannot occur (Kafka limits a
    /// record far below that) and are cut.
    pub(crate) fn push(&mut self, name: &str, value: &[u8]) {
        let name = &name.as_bytes()[..name.len().min(u32::MAX as usize)];
        let value = &value[..value.len().min(u32::MAX as usize)];
        self.bytes
            .extend_from_slice(&(name.len() as u32).to_le_bytes());
        self.bytes
            .extend_from_slice(&(value.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(name);
        self.bytes.extend_from_slice(value);
    }

    /// Headers in order, as raw name and value bytes.
    fn raw(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        let mut rest = self.bytes.as_slice();
        std::iter::from_fn(move || {
            if rest.len() < LENGTHS {
                return None;
            }
            let (name_len, value_len) = (length(rest), length(&rest[4..]));
            let (name, after) = rest[LENGTHS..].split_at(name_len);
            let (value, after) = after.split_at(value_len);
            rest = after;
            Some((name, value))
        })
    }

    /// Headers in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        // Names are only ever pushed from `&str`, so this never falls back.
        self.raw()
            .map(|(name, value)| (std::str::from_utf8(name).unwrap_or_default(), value))
    }

    /// The first value of `name`. Compares bytes, so the hot path (three lookups per event)
    /// does not re-validate names as UTF-8.
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.raw()
            .find(|(header, _)| *header == name.as_bytes())
            .map(|(_, value)| value)
    }

    /// The first value of `name`, as text.
    pub(crate) fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name)
            .and_then(|value| std::str::from_utf8(value).ok())
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
        assert_eq!(block.get("b"), Some(&b""[..]));
        assert_eq!(block.get_str("a"), Some("1"));
        assert_eq!(block.get_str("b"), Some(""));
        assert_eq!(block.get_str("c"), None);
        let pairs: Vec<_> = block.iter().collect();
        assert_eq!(pairs.len(), 3);
        assert_eq!(pairs[2], ("a", &b"2"[..]));
    }
}
