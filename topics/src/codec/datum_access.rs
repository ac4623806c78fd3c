//! The serde access types of the direct datum decoder: record fields, array items and map
//! entries read in wire order, and enum variants (enum symbols, union branches).
//!
//! Records, arrays and maps always consume their whole encoding, even when the target stops
//! asking early (a tuple shorter than the array, a visitor that ignores the rest), so the
//! bytes after them stay in step with the schema.

use apache_avro::schema::{RecordField, Schema};
use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::datum::Datum;
use super::datum_error::DatumError;
use super::wire::Input;

/// A record's fields, in schema order.
pub(super) struct Fields<'a, 's, 'de> {
    input: &'a mut Input<'de>,
    root: &'s Schema,
    fields: std::slice::Iter<'s, RecordField>,
    namespace: Option<&'s str>,
    value: Option<&'s Schema>,
}

impl<'a, 's, 'de> Fields<'a, 's, 'de> {
    pub(super) fn new(
        input: &'a mut Input<'de>,
        root: &'s Schema,
        fields: &'s [RecordField],
        namespace: Option<&'s str>,
    ) -> Self {
        Self {
            input,
            root,
            fields: fields.iter(),
            namespace,
            value: None,
        }
    }

    pub(super) fn visit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DatumError> {
        let value = visitor.visit_map(&mut self)?;
        while self.next_key::<IgnoredAny>()?.is_some() {
            self.next_value::<IgnoredAny>()?;
        }
        Ok(value)
    }

    fn datum(&mut self, schema: &'s Schema) -> Datum<'_, 's, 'de> {
        Datum::with_schema(self.input, self.root, schema, self.namespace)
    }
}

impl<'de> MapAccess<'de> for Fields<'_, '_, 'de> {
    type Error = DatumError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DatumError> {
        if let Some(schema) = self.value.take() {
            // The visitor skipped a value: read past it.
            IgnoredAny::deserialize(self.datum(schema))?;
        }
        let Some(field) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some(&field.schema);
        seed.deserialize(StrDeserializer::<DatumError>::new(&field.name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DatumError> {
        let schema = self
            .value
            .take()
            .ok_or_else(|| DatumError::new("record value asked for before its field name"))?;
        seed.deserialize(self.datum(schema))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.fields.len())
    }
}

/// Block-encoded items (arrays) or entries (maps): counts of the current block.
struct Blocks {
    left: usize,
    done: bool,
}

impl Blocks {
    /// Whether another item follows, reading the next block header when the current one is used up.
    fn next(&mut self, input: &mut Input<'_>) -> Result<bool, DatumError> {
        while !self.done && self.left == 0 {
            self.left = input.block_len()?;
            self.done = self.left == 0;
        }
        if self.done {
            return Ok(false);
        }
        self.left -= 1;
        Ok(true)
    }
}

/// An array's items.
pub(super) struct Items<'a, 's, 'de> {
    input: &'a mut Input<'de>,
    root: &'s Schema,
    items: &'s Schema,
    namespace: Option<&'s str>,
    blocks: Blocks,
}

impl<'a, 's, 'de> Items<'a, 's, 'de> {
    pub(super) fn new(
        input: &'a mut Input<'de>,
        root: &'s Schema,
        items: &'s Schema,
        namespace: Option<&'s str>,
    ) -> Self {
        Self {
            input,
            root,
            items,
            namespace,
            blocks: Blocks {
                left: 0,
                done: false,
            },
        }
    }

    /// A sequence with no items and no bytes (a union's null branch read as a sequence).
    pub(super) fn empty(input: &'a mut Input<'de>, root: &'s Schema) -> Self {
        let mut items = Self::new(input, root, root, None);
        items.blocks.done = true;
        items
    }

    pub(super) fn visit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DatumError> {
        let value = visitor.visit_seq(&mut self)?;
        while self.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

impl<'de> SeqAccess<'de> for Items<'_, '_, 'de> {
    type Error = DatumError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DatumError> {
        if !self.blocks.next(self.input)? {
            return Ok(None);
        }
        let datum = Datum::with_schema(self.input, self.root, self.items, self.namespace);
        seed.deserialize(datum).map(Some)
    }
}

/// A map's entries; keys are strings.
pub(super) struct Entries<'a, 's, 'de> {
    items: Items<'a, 's, 'de>,
    value_pending: bool,
}

impl<'a, 's, 'de> Entries<'a, 's, 'de> {
    pub(super) fn new(
        input: &'a mut Input<'de>,
        root: &'s Schema,
        values: &'s Schema,
        namespace: Option<&'s str>,
    ) -> Self {
        Self {
            items: Items::new(input, root, values, namespace),
            value_pending: false,
        }
    }

    pub(super) fn visit<V: Visitor<'de>>(mut self, visitor: V) -> Result<V::Value, DatumError> {
        let value = visitor.visit_map(&mut self)?;
        while self.next_key::<IgnoredAny>()?.is_some() {
            self.next_value::<IgnoredAny>()?;
        }
        Ok(value)
    }

    fn value_datum(&mut self) -> Datum<'_, 's, 'de> {
        let items = &mut self.items;
        Datum::with_schema(items.input, items.root, items.items, items.namespace)
    }
}

impl<'de> MapAccess<'de> for Entries<'_, '_, 'de> {
    type Error = DatumError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DatumError> {
        if std::mem::take(&mut self.value_pending) {
            IgnoredAny::deserialize(self.value_datum())?;
        }
        if !self.items.blocks.next(self.items.input)? {
            return Ok(None);
        }
        let key = self.items.input.str()?;
        self.value_pending = true;
        seed.deserialize(BorrowedStrDeserializer::<DatumError>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, DatumError> {
        if !std::mem::take(&mut self.value_pending) {
            return Err(DatumError::new("map value asked for before its key"));
        }
        seed.deserialize(self.value_datum())
    }
}

/// An enum symbol (or a string) read as a unit variant.
pub(super) struct UnitVariant<'v>(pub(super) &'v str);

impl<'de> EnumAccess<'de> for UnitVariant<'_> {
    type Error = DatumError;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self), DatumError> {
        let variant = seed.deserialize(StrDeserializer::<DatumError>::new(self.0))?;
        Ok((variant, self))
    }
}

impl<'de> VariantAccess<'de> for UnitVariant<'_> {
    type Error = DatumError;

    fn unit_variant(self) -> Result<(), DatumError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        _seed: T,
    ) -> Result<T::Value, DatumError> {
        Err(DatumError::new("an enum symbol is a unit variant"))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, DatumError> {
        Err(DatumError::new("an enum symbol is a unit variant"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, DatumError> {
        Err(DatumError::new("an enum symbol is a unit variant"))
    }
}

/// A union branch read as the Rust enum variant at the same position.
pub(super) struct UnionVariant<'a, 's, 'de> {
    name: &'static str,
    branch: Datum<'a, 's, 'de>,
}

impl<'a, 's, 'de> UnionVariant<'a, 's, 'de> {
    pub(super) fn new(name: &'static str, branch: Datum<'a, 's, 'de>) -> Self {
        Self { name, branch }
    }
}

impl<'a, 's, 'de> EnumAccess<'de> for UnionVariant<'a, 's, 'de> {
    type Error = DatumError;
    type Variant = Datum<'a, 's, 'de>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), DatumError> {
        let variant = seed.deserialize(StrDeserializer::<DatumError>::new(self.name))?;
        Ok((variant, self.branch))
    }
}

impl<'de> VariantAccess<'de> for Datum<'_, '_, 'de> {
    type Error = DatumError;

    fn unit_variant(self) -> Result<(), DatumError> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, DatumError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        self.deserialize_seq(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DatumError> {
        self.deserialize_map(visitor)
    }
}
