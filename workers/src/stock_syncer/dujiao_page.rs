//! One page of a Dujiao-Next catalog as upstream items: every SKU of every product, with its
//! price in the upstream's currency. A page with one unreadable price is unreadable as a whole,
//! so nothing of it is applied.

use switchyard_domain::{Currency, Money};
use switchyard_partners::dujiao::wire::{Product, StockStatus as WireStatus};
use switchyard_store::catalog::StockStatus;
use switchyard_store::upstream_stock::UpstreamItem;

/// The SKUs of a page as upstream items; an unreadable price fails the whole page.
pub(super) fn read_page(
    products: &[Product],
    currency: Currency,
) -> Result<Vec<UpstreamItem>, String> {
    let mut items = Vec::new();
    for product in products {
        for sku in &product.skus {
            let price = Money::parse_decimal(&sku.price_amount, currency)
                .map_err(|e| format!("product {} sku {}: price: {e}", product.id, sku.id))?;
            items.push(UpstreamItem {
                upstream_product_id: i64::try_from(product.id).ok(),
                key: sku.id.to_string(),
                price_minor: Some(price.amount_minor),
                stock_quantity: i32::try_from(sku.stock_quantity.max(-1)).unwrap_or(i32::MAX),
                stock_status: match sku.stock_status {
                    WireStatus::Unlimited => StockStatus::Unlimited,
                    WireStatus::InStock => StockStatus::InStock,
                    WireStatus::LowStock => StockStatus::LowStock,
                    WireStatus::OutOfStock => StockStatus::OutOfStock,
                },
                is_active: product.is_active && sku.is_active,
            });
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: u64, prices: &[&str]) -> Product {
        let skus: Vec<serde_json::Value> = prices
            .iter()
            .enumerate()
            .map(|(n, price)| {
                serde_json::json!({"id": id * 10 + n as u64, "price_amount": price,
                    "stock_status": "in_stock", "stock_quantity": 7, "is_active": true})
            })
            .collect();
        serde_json::from_value(serde_json::json!({"id": id, "price_amount": "1.00",
            "fulfillment_type": "auto", "is_active": true, "skus": skus}))
        .expect("product")
    }

    #[test]
    fn a_page_reads_every_sku_with_its_price_in_the_upstream_currency() {
        let items = read_page(&[product(1, &["9.99", "1.50"])], Currency::USD).expect("page");
        let read: Vec<(String, Option<i64>, i32)> = items
            .iter()
            .map(|item| (item.key.clone(), item.price_minor, item.stock_quantity))
            .collect();
        assert_eq!(
            read,
            vec![("10".into(), Some(999), 7), ("11".into(), Some(150), 7)]
        );
        assert!(items.iter().all(|item| item.upstream_product_id == Some(1)));
    }

    #[test]
    fn one_unreadable_price_makes_the_whole_page_unreadable() {
        let page = [product(1, &["9.99"]), product(2, &["cheap"])];
        let problem = read_page(&page, Currency::CNY).expect_err("unreadable");
        assert!(problem.contains("product 2"), "{problem}");
    }
}
