//! Ids in 58's JSON (`orderId`, `goodsId`, `cityId`): the platform sends them as JSON numbers
//! (`"orderId": 796283197642`) or as strings, and both mean the same id.
//!
//! Contract: [`DaojiaId`] reads an integer or a string and keeps the decimal text exactly (no
//! float rounding: an integer is read as `i64`/`u64`, a fraction or any other JSON type is
//! refused); it writes a string. [`int_or_string`] does the same for ids kept as `i64`.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// A 58 id as text, read from a JSON number or string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct DaojiaId(String);

impl DaojiaId {
    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for DaojiaId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DaojiaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for DaojiaId {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl From<String> for DaojiaId {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl PartialEq<&str> for DaojiaId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an id as an integer or a string")
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<String, E> {
        Ok(value.to_string())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<String, E> {
        Ok(value.to_owned())
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<String, E> {
        Ok(value)
    }
}

impl<'de> Deserialize<'de> for DaojiaId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdVisitor).map(Self)
    }
}

/// Reads an optional integer id given as a JSON number or a numeric string (`1` or `"1"`).
pub fn int_or_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    let text: Option<String> =
        Option::deserialize(deserializer).map(|id: Option<DaojiaId>| id.map(|id| id.0))?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| de::Error::custom("id is not an integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Ids {
        id: DaojiaId,
        #[serde(default, deserialize_with = "int_or_string")]
        city: Option<i64>,
    }

    #[test]
    fn numbers_and_strings_are_the_same_id() {
        let number: Ids = serde_json::from_str(r#"{"id":796283197642,"city":1}"#).unwrap();
        let text: Ids = serde_json::from_str(r#"{"id":"796283197642","city":"1"}"#).unwrap();
        assert_eq!(number.id, text.id);
        assert_eq!(number.id, "796283197642");
        assert_eq!((number.city, text.city), (Some(1), Some(1)));
        let large: Ids = serde_json::from_str(r#"{"id":18446744073709551615}"#).unwrap();
        assert_eq!(large.id, "18446744073709551615");
        assert_eq!(large.city, None);
        assert_eq!(
            serde_json::to_string(&number.id).unwrap(),
            r#""796283197642""#
        );
    }

    #[test]
    fn fractions_and_other_types_are_refused() {
        for bad in [
            r#"{"id":1.5}"#,
            r#"{"id":[1]}"#,
            r#"{"id":null}"#,
            r#"{"id":"1","city":"x"}"#,
        ] {
            assert!(serde_json::from_str::<Ids>(bad).is_err(), "{bad}");
        }
    }
}
