//! The primitives of the Avro binary encoding, read from a byte slice without copying:
//! zig-zag varints, length-prefixed bytes and fixed-size runs. Every read is bounds-checked;
//! a short or malformed input is an error, never a panic.

use super::datum_error::DatumError;

/// Unread rest of one datum.
pub(super) struct Input<'de> {
    rest: &'de [u8],
}

impl<'de> Input<'de> {
    pub(super) fn new(bytes: &'de [u8]) -> Self {
        Self { rest: bytes }
    }

    /// Bytes not consumed yet.
    pub(super) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// A zig-zag varint `long` (at most 10 bytes).
    pub(super) fn long(&mut self) -> Result<i64, DatumError> {
        // Most longs in events (lengths, indices, small numbers) fit one byte.
        if let Some((&byte, rest)) = self.rest.split_first() {
            if byte & 0x80 == 0 {
                self.rest = rest;
                let raw = i64::from(byte);
                return Ok((raw >> 1) ^ -(raw & 1));
            }
        }
        let mut raw: u64 = 0;
        for (index, &byte) in self.rest.iter().enumerate().take(10) {
            let bits = u64::from(byte & 0x7f);
            if index == 9 && bits > 1 {
                return Err(DatumError::new("varint overflows a long"));
            }
            raw |= bits << (7 * index);
            if byte & 0x80 == 0 {
                self.rest = &self.rest[index + 1..];
                return Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64));
            }
        }
        Err(DatumError::new(if self.rest.len() < 10 {
            "datum ends inside a varint"
        } else {
            "varint longer than 10 bytes"
        }))
    }

    /// A zig-zag varint `int`.
    pub(super) fn int(&mut self) -> Result<i32, DatumError> {
        i32::try_from(self.long()?).map_err(|_| DatumError::new("int out of range"))
    }

    /// A non-negative length or index.
    pub(super) fn len(&mut self) -> Result<usize, DatumError> {
        usize::try_from(self.long()?).map_err(|_| DatumError::new("negative length"))
    }

    /// The next `len` bytes.
    pub(super) fn take(&mut self, len: usize) -> Result<&'de [u8], DatumError> {
        if len > self.rest.len() {
            return Err(DatumError::new("datum ends early"));
        }
        let (head, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(head)
    }

    /// Length-prefixed bytes (`bytes`, `string`).
    pub(super) fn bytes(&mut self) -> Result<&'de [u8], DatumError> {
        let len = self.len()?;
        self.take(len)
    }

    /// Length-prefixed UTF-8 text.
    pub(super) fn str(&mut self) -> Result<&'de str, DatumError> {
        std::str::from_utf8(self.bytes()?).map_err(|_| DatumError::new("string is not UTF-8"))
    }

    /// A `boolean` byte.
    pub(super) fn boolean(&mut self) -> Result<bool, DatumError> {
        match self.take(1)? {
            [0] => Ok(false),
            [1] => Ok(true),
            _ => Err(DatumError::new("boolean byte is neither 0 nor 1")),
        }
    }

    /// The item count of the next block of an array or map; 0 ends it. A negative count is
    /// followed by the block's size in bytes, which is skipped.
    pub(super) fn block_len(&mut self) -> Result<usize, DatumError> {
        let count = self.long()?;
        if count < 0 {
            let _size = self.long()?;
        }
        usize::try_from(count.unsigned_abs()).map_err(|_| DatumError::new("block too long"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(value: i64) -> Vec<u8> {
        let mut raw = ((value << 1) ^ (value >> 63)) as u64;
        let mut out = Vec::new();
        loop {
            let byte = (raw & 0x7f) as u8;
            raw >>= 7;
            if raw == 0 {
                out.push(byte);
                return out;
            }
            out.push(byte | 0x80);
        }
    }

    #[test]
    fn varints_round_trip_at_the_edges() {
        for value in [
            0,
            1,
            -1,
            63,
            -64,
            64,
            300,
            i64::from(i32::MAX),
            i64::MIN,
            i64::MAX,
        ] {
            let bytes = zigzag(value);
            let mut input = Input::new(&bytes);
            assert_eq!(input.long().unwrap(), value, "{value}");
            assert_eq!(input.remaining(), 0);
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(Input::new(&[0x80]).long().is_err());
        assert!(Input::new(&[0xff; 11]).long().is_err());
        assert!(Input::new(&zigzag(i64::from(i32::MAX) + 1)).int().is_err());
        assert!(Input::new(&zigzag(-1)).len().is_err());
        assert!(Input::new(&[0x04, b'a']).bytes().is_err());
        assert!(Input::new(&[0x02, 0xff]).str().is_err());
        assert!(Input::new(&[2]).boolean().is_err());
    }
}
