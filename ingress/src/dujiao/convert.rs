//! Our catalog and orders in Dujiao-Next wire shapes.
//!
//! Contract: amounts become decimal strings in the SKU's or order's currency; our order numbers
//! (`SY` + 12 digits) double as the protocol's numeric `order_id`, so `GET /orders/:id` finds the
//! order again without a second id.

use std::collections::BTreeMap;

use switchyard_domain::{Currency, Money};
use switchyard_partners::dujiao::wire;
use switchyard_store::catalog::{FulfillmentType, Product, Sku, StockStatus};

/// Minor units as the protocol's decimal string (`1234` CNY → `"12.34"`).
pub(crate) fn decimal(minor: i64, currency: Currency) -> String {
    Money::from_minor(minor, currency).to_decimal_string()
}

/// The protocol's numeric order id of an order number (`SY000000000042` → 42).
pub(crate) fn numeric_order_id(order_no: &str) -> u64 {
    order_no
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .parse()
        .unwrap_or(0)
}

/// The order number of a numeric order id (inverse of [`numeric_order_id`]).
pub(crate) fn order_no_of(id: u64) -> String {
    format!("SY{id:012}")
}

fn localized(value: &serde_json::Value) -> wire::LocalizedText {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn wire_sku(sku: &Sku) -> wire::Sku {
    wire::Sku {
        id: u64::try_from(sku.id).unwrap_or_default(),
        sku_code: sku.sku_code.clone(),
        spec_values: serde_json::from_value::<BTreeMap<String, serde_json::Value>>(
            sku.spec_values.clone(),
        )
        .unwrap_or_default(),
        price_amount: decimal(sku.price_minor, sku.currency),
        stock_status: match sku.stock_status {
            StockStatus::Unlimited => wire::StockStatus::Unlimited,
            StockStatus::InStock => wire::StockStatus::InStock,
            StockStatus::LowStock => wire::StockStatus::LowStock,
            StockStatus::OutOfStock => wire::StockStatus::OutOfStock,
        },
        stock_quantity: i64::from(sku.stock_quantity),
        is_active: sku.is_active,
    }
}

/// A product with its SKUs; its price is the lowest active SKU price.
pub(crate) fn wire_product(product: &Product) -> wire::Product {
    let cheapest = product
        .skus
        .iter()
        .filter(|sku| sku.is_active)
        .min_by_key(|sku| sku.price_minor)
        .or_else(|| product.skus.first());
    wire::Product {
        id: u64::try_from(product.id).unwrap_or_default(),
        slug: product.slug.clone(),
        title: localized(&product.title),
        description: localized(&product.description),
        images: product.images.clone(),
        price_amount: cheapest
            .map(|sku| decimal(sku.price_minor, sku.currency))
            .unwrap_or_else(|| "0.00".to_owned()),
        fulfillment_type: match product.fulfillment_type {
            FulfillmentType::Auto => wire::FulfillmentType::Auto,
            FulfillmentType::Manual => wire::FulfillmentType::Manual,
        },
        is_active: product.is_active,
        category_id: product.category_id.and_then(|id| u64::try_from(id).ok()),
        skus: product.skus.iter().map(wire_sku).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_and_numeric_ids_round_trip() {
        assert_eq!(numeric_order_id("SY000000000042"), 42);
        assert_eq!(order_no_of(42), "SY000000000042");
    }

    #[test]
    fn amounts_are_decimal_strings() {
        assert_eq!(decimal(1234, Currency::CNY), "12.34");
    }
}
