//! Postgres `text` encoding for the text enums (and `text[]` for `= ANY($1)`), compiled only with
//! the `sqlx` feature. Decoding refuses a text that is not a value: schema and code disagree.

/// Implements sqlx `Type`, `PgHasArrayType`, `Encode` and `Decode` as `text` via `as_str`/`FromStr`.
#[doc(hidden)]
#[macro_export]
macro_rules! sqlx_text {
    ($name:ident) => {
        impl $crate::__private::sqlx::Type<$crate::__private::sqlx::Postgres> for $name {
            fn type_info() -> $crate::__private::sqlx::postgres::PgTypeInfo {
                <&str as $crate::__private::sqlx::Type<$crate::__private::sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &$crate::__private::sqlx::postgres::PgTypeInfo) -> bool {
                <&str as $crate::__private::sqlx::Type<$crate::__private::sqlx::Postgres>>::compatible(ty)
            }
        }

        impl $crate::__private::sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> $crate::__private::sqlx::postgres::PgTypeInfo {
                <&str as $crate::__private::sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        impl<'q> $crate::__private::sqlx::Encode<'q, $crate::__private::sqlx::Postgres> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut $crate::__private::sqlx::postgres::PgArgumentBuffer,
            ) -> Result<$crate::__private::sqlx::encode::IsNull, $crate::__private::sqlx::error::BoxDynError>
            {
                <&str as $crate::__private::sqlx::Encode<'q, $crate::__private::sqlx::Postgres>>::encode_by_ref(
                    &self.as_str(),
                    buf,
                )
            }
        }

        impl<'r> $crate::__private::sqlx::Decode<'r, $crate::__private::sqlx::Postgres> for $name {
            fn decode(
                value: $crate::__private::sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, $crate::__private::sqlx::error::BoxDynError> {
                let text =
                    <&str as $crate::__private::sqlx::Decode<'r, $crate::__private::sqlx::Postgres>>::decode(value)?;
                // `char(n)` columns pad with blanks; the values never end in one.
                Ok(text.trim_end().parse::<$name>()?)
            }
        }
    };
}
