//! Decodes a raw Avro binary datum straight into a serde type by walking the writer schema
//! alongside the bytes: no intermediate `apache_avro::types::Value` tree, no per-decode schema
//! resolution (apache-avro 0.20 rebuilds a name table on every `from_avro_datum`), and strings
//! are borrowed from the payload until the target type copies them. This is the consumer hot
//! path: every event a runner handles is decoded here.
//!
//! # Contract
//! - Accepts exactly the bytes `apache_avro::to_avro_datum` writes for the schema, and produces
//!   what `apache_avro::from_value` would for the shapes events use: records as structs or maps
//!   (unknown fields skipped), enums as unit variants or strings by symbol, unions as `Option`
//!   (`null` branch = `None`) or as enums by branch position, logical types as their underlying
//!   numbers (`timestamp-millis` as `i64`), `uuid` as text.
//! - Malformed or short input, a type the target cannot take, or bytes left after the datum are
//!   errors, never panics; error texts never quote decoded values (see [`DatumError`]).
//! - Named-type references are resolved by finding their definition in the root schema.
//! - `decimal`, `big-decimal` and `duration` are not decoded (an error says so); no catalogue
//!   schema uses them, and [`unsupported_kind`] lets a test keep it that way.

use apache_avro::schema::{RecordField, Schema};
use serde::de::{self, Deserialize, Visitor};
use serde::forward_to_deserialize_any;

use super::datum_access::{Entries, Fields, Items, UnionVariant, UnitVariant};
use super::datum_error::DatumError;
use super::wire::Input;

/// Decodes one datum of `schema` that fills `bytes` exactly.
pub(crate) fn from_datum<'de, T: Deserialize<'de>>(
    schema: &Schema,
    bytes: &'de [u8],
) -> Result<T, DatumError> {
    let mut input = Input::new(bytes);
    let value = T::deserialize(Datum {
        input: &mut input,
        root: schema,
        schema,
        namespace: None,
    })?;
    if input.remaining() != 0 {
        return Err(DatumError::new("trailing bytes after the datum"));
    }
    Ok(value)
}

/// The first schema kind in `schema` that [`from_datum`] cannot decode, if any.
#[cfg(test)]
pub(crate) fn unsupported_kind(schema: &Schema) -> Option<&'static str> {
    match schema {
        Schema::Decimal(_) => Some("decimal"),
        Schema::BigDecimal => Some("big-decimal"),
        Schema::Duration => Some("duration"),
        Schema::Array(array) => unsupported_kind(&array.items),
        Schema::Map(map) => unsupported_kind(&map.types),
        Schema::Union(union) => union.variants().iter().find_map(unsupported_kind),
        Schema::Record(record) => record
            .fields
            .iter()
            .find_map(|field| unsupported_kind(&field.schema)),
        _ => None,
    }
}

/// One value still to be read: its schema, the root (for references) and the namespace that
/// unqualified names inside it belong to.
pub(super) struct Datum<'a, 's, 'de> {
    pub(super) input: &'a mut Input<'de>,
    pub(super) root: &'s Schema,
    pub(super) schema: &'s Schema,
    pub(super) namespace: Option<&'s str>,
}

fn qualify<'s>(own: Option<&'s str>, enclosing: Option<&'s str>) -> Option<&'s str> {
    own.or(enclosing).filter(|namespace| !namespace.is_empty())
}

/// The definition of the named type `name` in `namespace`, with the namespace enclosing it.
fn find_named<'s>(
    schema: &'s Schema,
    name: &str,
    namespace: Option<&str>,
    enclosing: Option<&'s str>,
) -> Option<(&'s Schema, Option<&'s str>)> {
    let defines = |own: &'s apache_avro::schema::Name| {
        own.name == name && qualify(own.namespace.as_deref(), enclosing) == namespace
    };
    match schema {
        Schema::Enum(named) if defines(&named.name) => Some((schema, enclosing)),
        Schema::Fixed(named) if defines(&named.name) => Some((schema, enclosing)),
        Schema::Record(record) if defines(&record.name) => Some((schema, enclosing)),
        Schema::Record(record) => {
            let inner = qualify(record.name.namespace.as_deref(), enclosing);
            record
                .fields
                .iter()
                .find_map(|field| find_named(&field.schema, name, namespace, inner))
        }
        Schema::Array(array) => find_named(&array.items, name, namespace, enclosing),
        Schema::Map(map) => find_named(&map.types, name, namespace, enclosing),
        Schema::Union(union) => union
            .variants()
            .iter()
            .find_map(|variant| find_named(variant, name, namespace, enclosing)),
        _ => None,
    }
}

impl<'a, 's, 'de> Datum<'a, 's, 'de> {
    /// The same position with another schema (a field, item or union branch).
    pub(super) fn with_schema(
        input: &'a mut Input<'de>,
        root: &'s Schema,
        schema: &'s Schema,
        namespace: Option<&'s str>,
    ) -> Self {
        Self {
            input,
            root,
            schema,
            namespace,
        }
    }

    /// Follows a named-type reference to its definition.
    #[inline]
    fn resolved(self) -> Result<Self, DatumError> {
        let Schema::Ref { name } = self.schema else {
            return Ok(self);
        };
        let namespace = qualify(name.namespace.as_deref(), self.namespace);
        match find_named(self.root, &name.name, namespace, None) {
            Some((schema, enclosing)) => Ok(Self {
                schema,
                namespace: enclosing,
                ..self
            }),
            None => Err(DatumError::new(format!(
                "reference to undefined type {}",
                name.name
            ))),
        }
    }

    /// Reads a union's branch index and continues with that branch, returning its position.
    fn branch(self) -> Result<(usize, Self), DatumError> {
        let Schema::Union(union) = self.schema else {
            return Ok((0, self));
        };
        let index = self.input.len()?;
        let schema = union
            .variants()
            .get(index)
            .ok_or_else(|| DatumError::new("union branch index out of range"))?;
        Ok((index, Self { schema, ..self }))
    }

    fn symbol(&mut self, symbols: &'s [String]) -> Result<&'s str, DatumError> {
        let index = self.input.len()?;
        symbols
            .get(index)
            .map(String::as_str)
            .ok_or_else(|| DatumError::new("enum index out of range"))
    }

    fn fields(self, fields: &'s [RecordField], own: Option<&'s str>) -> Fields<'a, 's, 'de> {
        let namespace = qualify(own, self.namespace);
        Fields::new(self.input, self.root, fields, namespace)
    }

    fn uuid_text<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let bytes = self.input.bytes()?;
        let uuid = if bytes.len() == 16 {
            uuid::Uuid::from_slice(bytes).map_err(|_| DatumError::new("invalid uuid bytes"))?
        } else {
            std::str::from_utf8(bytes)
                .ok()
                .and_then(|text| uuid::Uuid::parse_str(text).ok())
                .ok_or_else(|| DatumError::new("invalid uuid text"))?
        };
        visitor.visit_str(
            uuid.hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        )
    }
}

impl<'de> de::Deserializer<'de> for Datum<'_, '_, 'de> {
    type Error = DatumError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let mut this = self.resolved()?;
        match this.schema {
            Schema::Null => visitor.visit_unit(),
            Schema::Boolean => visitor.visit_bool(this.input.boolean()?),
            Schema::Int | Schema::Date | Schema::TimeMillis => visitor.visit_i32(this.input.int()?),
            Schema::Long
            | Schema::TimeMicros
            | Schema::TimestampMillis
            | Schema::TimestampMicros
            | Schema::TimestampNanos
            | Schema::LocalTimestampMillis
            | Schema::LocalTimestampMicros
            | Schema::LocalTimestampNanos => visitor.visit_i64(this.input.long()?),
            Schema::Float => {
                let bytes = this.input.take(4)?;
                visitor.visit_f32(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
            }
            Schema::Double => {
                let mut raw = [0_u8; 8];
                raw.copy_from_slice(this.input.take(8)?);
                visitor.visit_f64(f64::from_le_bytes(raw))
            }
            Schema::Bytes => visitor.visit_borrowed_bytes(this.input.bytes()?),
            Schema::Fixed(fixed) => visitor.visit_borrowed_bytes(this.input.take(fixed.size)?),
            Schema::String => visitor.visit_borrowed_str(this.input.str()?),
            Schema::Uuid => this.uuid_text(visitor),
            Schema::Enum(enumeration) => visitor.visit_str(this.symbol(&enumeration.symbols)?),
            Schema::Union(_) => match this.branch()? {
                (_, branch) if matches!(branch.schema, Schema::Null) => visitor.visit_unit(),
                (_, branch) => branch.deserialize_any(visitor),
            },
            Schema::Record(record) => {
                let own = record.name.namespace.as_deref();
                this.fields(&record.fields, own).visit(visitor)
            }
            Schema::Array(array) => {
                Items::new(this.input, this.root, &array.items, this.namespace).visit(visitor)
            }
            Schema::Map(map) => {
                Entries::new(this.input, this.root, &map.types, this.namespace).visit(visitor)
            }
            Schema::Decimal(_) | Schema::BigDecimal | Schema::Duration | Schema::Ref { .. } => {
                Err(DatumError::new(format!(
                    "schema kind {} is not supported by the direct decoder",
                    this.schema
                )))
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let this = self.resolved()?;
        if !matches!(this.schema, Schema::Union(_)) {
            return Err(DatumError::new(
                "an optional value needs a union schema with a null branch",
            ));
        }
        match this.branch()? {
            (_, branch) if matches!(branch.schema, Schema::Null) => visitor.visit_none(),
            (_, branch) => visitor.visit_some(branch),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        let mut this = self.resolved()?;
        match this.schema {
            Schema::Enum(enumeration) => {
                visitor.visit_enum(UnitVariant(this.symbol(&enumeration.symbols)?))
            }
            Schema::String => visitor.visit_enum(UnitVariant(this.input.str()?)),
            Schema::Union(_) => {
                let (index, branch) = this.branch()?;
                let variant = variants
                    .get(index)
                    .ok_or_else(|| DatumError::new("union branch has no matching variant"))?;
                visitor.visit_enum(UnionVariant::new(variant, branch))
            }
            _ => this.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let this = self.resolved()?;
        match this.schema {
            Schema::Bytes | Schema::Fixed(_) => {
                let bytes = match this.schema {
                    Schema::Fixed(fixed) => this.input.take(fixed.size)?,
                    _ => this.input.bytes()?,
                };
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| DatumError::new("bytes are not UTF-8 text"))?;
                visitor.visit_borrowed_str(text)
            }
            Schema::Union(_) => this.branch()?.1.deserialize_str(visitor),
            _ => this.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let this = self.resolved()?;
        match this.schema {
            Schema::String => visitor.visit_borrowed_bytes(this.input.bytes()?),
            Schema::Union(_) => this.branch()?.1.deserialize_bytes(visitor),
            _ => this.deserialize_any(visitor),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let this = self.resolved()?;
        match this.schema {
            // As `from_value`: a null branch where a sequence is expected is an empty one.
            Schema::Union(_) => match this.branch()? {
                (_, branch) if matches!(branch.schema, Schema::Null) => {
                    Items::empty(branch.input, branch.root).visit(visitor)
                }
                (_, branch) => branch.deserialize_seq(visitor),
            },
            _ => this.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DatumError> {
        let this = self.resolved()?;
        match this.schema {
            // As `from_value`: a null branch where a record is expected is a record without
            // fields (the target's defaults or options decide whether that is acceptable).
            Schema::Union(_) => match this.branch()? {
                (_, branch) if matches!(branch.schema, Schema::Null) => {
                    branch.fields(&[], None).visit(visitor)
                }
                (_, branch) => branch.deserialize_map(visitor),
            },
            _ => this.deserialize_any(visitor),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_char<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, DatumError> {
        Err(DatumError::new("Avro has no char type"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 unit unit_struct ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_schema_uses_only_kinds_the_direct_decoder_reads() {
        for spec in crate::catalogue::ALL {
            let schema = Schema::parse_str(spec.schema).expect("schema parses");
            assert_eq!(unsupported_kind(&schema), None, "{}", spec.name);
        }
    }
}
