//! Resolving a channel order's lines (D-Store `posProductId`, 58 `goodsId`) to our SKUs.
//!
//! Contract: one query per order, whatever its number of lines, read fresh (an operator's change
//! applies to the next order). Every line must resolve through the channel product mappings of
//! the connection the order arrived through; the first line that does not is named (1-based)
//! so the caller refuses the whole order in the partner's format before anything is stored or
//! produced. The channel's own product id is an operator-configured catalogue key, not personal
//! data, so the refusal may quote it.

use switchyard_store::channel_products::{self, ResolvedSku};
use switchyard_store::StoreError;

/// A line whose channel product id maps to none of our (active) SKUs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnmappedLine {
    /// 1-based line number in the order.
    pub(crate) line: usize,
    /// The channel's product id on that line.
    pub(crate) channel_product_id: String,
}

impl UnmappedLine {
    /// The refusal reason, naming the line and the channel's field.
    pub(crate) fn reason(&self, field: &str) -> String {
        let shown: String = self.channel_product_id.chars().take(64).collect();
        format!(
            "line {}: {field} {shown:?} is not mapped to a product",
            self.line
        )
    }
}

/// The SKU of every line of an order, in line order, or the first line that has none.
pub(crate) async fn resolve(
    pool: &sqlx::PgPool,
    connection_id: i64,
    channel_product_ids: &[&str],
) -> Result<Result<Vec<ResolvedSku>, UnmappedLine>, StoreError> {
    let trimmed: Vec<&str> = channel_product_ids.iter().map(|id| id.trim()).collect();
    let resolved = channel_products::resolve(pool, connection_id, &trimmed).await?;
    let mut skus = Vec::with_capacity(trimmed.len());
    for (index, id) in trimmed.iter().enumerate() {
        match resolved.get(*id) {
            Some(sku) => skus.push(sku.clone()),
            None => {
                return Ok(Err(UnmappedLine {
                    line: index + 1,
                    channel_product_id: (*id).to_owned(),
                }))
            }
        }
    }
    Ok(Ok(skus))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reason_names_the_line_and_field_and_cuts_long_ids() {
        let unmapped = UnmappedLine {
            line: 2,
            channel_product_id: "x".repeat(300),
        };
        let reason = unmapped.reason("goodsId");
        assert!(reason.starts_with("line 2: goodsId \"xxx"), "{reason}");
        assert!(reason.len() < 120, "{reason}");
    }
}
