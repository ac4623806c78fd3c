//! `text_enum!`: a closed set of values with one text each, stored as a CHECK-guarded `text`
//! column and serialised (JSON) as that same text.
//!
//! Contract: `as_str()` is exactly the text in the migration's CHECK list; parsing any other text
//! is an error (the schema and the code would disagree), never a silent default. With the `sqlx`
//! feature the enum also encodes and decodes as Postgres `text` (and `text[]`).

/// A text that is not one of an enum's values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownValue {
    /// Which enum was being parsed.
    pub kind: &'static str,
    /// The text that did not match (a status word, never personal data), cut to 64 characters.
    pub value: String,
}

impl UnknownValue {
    /// The error for `value` not being a `kind`.
    pub fn new(kind: &'static str, value: &str) -> Self {
        Self {
            kind,
            value: value.chars().take(64).collect(),
        }
    }
}

/// Declares a `Copy` enum with `ALL`, `as_str`, `FromStr`, `Display`, serde as its text and, with
/// the `sqlx` feature, Postgres text encoding. The calling crate needs `serde` (the derive's
/// generated code names it).
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)+
                    other => Err($crate::UnknownValue::new(stringify!($name), other)),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::sqlx_text!($name);
    };
}

/// Without the `sqlx` feature a text enum has no Postgres encoding.
#[cfg(not(feature = "sqlx"))]
#[doc(hidden)]
#[macro_export]
macro_rules! sqlx_text {
    ($name:ident) => {};
}
