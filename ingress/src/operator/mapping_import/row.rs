//! One mapping row as an operator writes it (named text fields) and what it means: a
//! [`MappingSpec`], or the reason it is refused.
//!
//! Contract: the fields are [`COLUMNS`]; `sku_id` and `fulfiller` are required; a remote
//! fulfiller needs `connection_id` and its own fields (`dujiao_upstream`: `upstream_sku_id`,
//! optionally `upstream_product_id`; `vending`: an 8-digit `machine_no` and `vending_product_id`;
//! `wdt_erp`: `spec_no` and/or `goods_no`); `local_stock` takes none of them. A field another kind
//! uses is refused rather than ignored, so a shifted column is caught. Ids are positive integers;
//! `is_active` is `true`/`false`/`1`/`0` (absent: keep the current switch, new mappings on).
//! Reasons name the field and quote at most a short prefix of the value.

use switchyard_store::mapping_admin::MappingSpec;
use switchyard_store::mappings::{Fulfiller, FulfillerKind};

/// Every field a row may carry, in the order the CSV template lists them.
pub(crate) const COLUMNS: [&str; 10] = [
    "sku_id",
    "fulfiller",
    "connection_id",
    "upstream_product_id",
    "upstream_sku_id",
    "machine_no",
    "vending_product_id",
    "spec_no",
    "goods_no",
    "is_active",
];

/// A row's non-empty fields, by position in [`COLUMNS`], and the line it came from.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RawRow {
    pub(crate) line: u64,
    pub(crate) values: [Option<String>; COLUMNS.len()],
}

impl RawRow {
    /// An empty row at `line`.
    pub(crate) fn at(line: u64) -> Self {
        Self {
            line,
            ..Self::default()
        }
    }

    /// Sets field `name` (trimmed; empty means absent); `false` for an unknown name.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> bool {
        let Some(index) = column_index(name) else {
            return false;
        };
        let value = value.trim();
        self.values[index] = (!value.is_empty()).then(|| value.to_owned());
        true
    }

    fn get(&self, name: &str) -> Option<&str> {
        column_index(name).and_then(|index| self.values[index].as_deref())
    }
}

/// The position of field `name` in [`COLUMNS`].
pub(crate) fn column_index(name: &str) -> Option<usize> {
    COLUMNS.iter().position(|column| *column == name)
}

/// What `row` asks for, or why it cannot be applied.
pub(crate) fn spec(row: &RawRow) -> Result<MappingSpec, String> {
    let sku_id = id(row, "sku_id")?.ok_or("sku_id is required")?;
    let kind_text = row.get("fulfiller").ok_or("fulfiller is required")?;
    let kind = kind_text.parse::<FulfillerKind>().map_err(|_| {
        format!(
            "fulfiller {} is not one of local_stock, dujiao_upstream, vending, wdt_erp",
            quoted(kind_text)
        )
    })?;
    let used: &[&str] = match kind {
        FulfillerKind::LocalStock => &[],
        FulfillerKind::DujiaoUpstream => &["upstream_product_id", "upstream_sku_id"],
        FulfillerKind::Vending => &["machine_no", "vending_product_id"],
        FulfillerKind::WdtErp => &["spec_no", "goods_no"],
    };
    let foreign = COLUMNS[3..9]
        .iter()
        .find(|name| !used.contains(name) && row.get(name).is_some());
    if let Some(name) = foreign {
        return Err(format!("{name} is not used by {kind_text}"));
    }
    let connection = id(row, "connection_id")?;
    let needs_connection =
        || connection.ok_or(format!("connection_id is required for {kind_text}"));
    let fulfiller = match kind {
        FulfillerKind::LocalStock if connection.is_some() => {
            return Err("connection_id is not used by local_stock".into())
        }
        FulfillerKind::LocalStock => Fulfiller::LocalStock,
        FulfillerKind::DujiaoUpstream => Fulfiller::DujiaoUpstream {
            connection_id: needs_connection()?,
            upstream_product_id: id(row, "upstream_product_id")?,
            upstream_sku_id: id(row, "upstream_sku_id")?
                .ok_or("upstream_sku_id is required for dujiao_upstream")?,
        },
        FulfillerKind::Vending => Fulfiller::Vending {
            connection_id: needs_connection()?,
            machine_no: machine_no(row)?,
            product_id: text(row, "vending_product_id")?
                .ok_or("vending_product_id is required for vending")?,
        },
        FulfillerKind::WdtErp => {
            let (spec_no, goods_no) = (text(row, "spec_no")?, text(row, "goods_no")?);
            if spec_no.is_none() && goods_no.is_none() {
                return Err("spec_no or goods_no is required for wdt_erp".into());
            }
            Fulfiller::WdtErp {
                connection_id: needs_connection()?,
                spec_no,
                goods_no,
            }
        }
    };
    Ok(MappingSpec {
        sku_id,
        fulfiller,
        is_active: active(row)?,
    })
}

fn id(row: &RawRow, name: &str) -> Result<Option<i64>, String> {
    let Some(value) = row.get(name) else {
        return Ok(None);
    };
    match value.parse::<i64>() {
        Ok(id) if id > 0 => Ok(Some(id)),
        _ => Err(format!(
            "{name} {} is not a positive integer",
            quoted(value)
        )),
    }
}

fn text(row: &RawRow, name: &str) -> Result<Option<String>, String> {
    match row.get(name) {
        Some(value) if value.chars().count() > 200 => {
            Err(format!("{name} is longer than 200 characters"))
        }
        value => Ok(value.map(str::to_owned)),
    }
}

fn machine_no(row: &RawRow) -> Result<String, String> {
    let value = row
        .get("machine_no")
        .ok_or("machine_no is required for vending")?;
    if value.len() == 8 && value.bytes().all(|byte| byte.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(format!("machine_no {} is not 8 digits", quoted(value)))
    }
}

fn active(row: &RawRow) -> Result<Option<bool>, String> {
    match row.get("is_active") {
        None => Ok(None),
        Some("true" | "TRUE" | "True" | "1") => Ok(Some(true)),
        Some("false" | "FALSE" | "False" | "0") => Ok(Some(false)),
        Some(other) => Err(format!(
            "is_active {} is not true, false, 1 or 0",
            quoted(other)
        )),
    }
}

/// `value` in quotes, cut to 40 characters.
fn quoted(value: &str) -> String {
    let mut short: String = value.chars().take(40).collect();
    if short.len() < value.len() {
        short.push('…');
    }
    format!("{short:?}")
}

#[cfg(test)]
#[path = "row_tests.rs"]
mod tests;
