//! Unit tests of `row`: each kind's fields and each refusal.

use super::*;

fn row(fields: &[(&str, &str)]) -> RawRow {
    let mut row = RawRow::at(7);
    for (name, value) in fields {
        assert!(row.set(name, value), "{name}");
    }
    row
}

#[test]
fn each_kind_reads_its_own_fields() {
    let dujiao = row(&[
        ("sku_id", "5"),
        ("fulfiller", "dujiao_upstream"),
        ("connection_id", "2"),
        ("upstream_sku_id", " 12 "),
        ("is_active", "0"),
    ]);
    assert_eq!(
        spec(&dujiao),
        Ok(MappingSpec {
            sku_id: 5,
            fulfiller: Fulfiller::DujiaoUpstream {
                connection_id: 2,
                upstream_product_id: None,
                upstream_sku_id: 12
            },
            is_active: Some(false),
        })
    );
    let vending = row(&[
        ("sku_id", "6"),
        ("fulfiller", "vending"),
        ("connection_id", "3"),
        ("machine_no", "12345678"),
        ("vending_product_id", "p1"),
    ]);
    assert!(matches!(
        spec(&vending),
        Ok(MappingSpec { fulfiller: Fulfiller::Vending { ref machine_no, .. }, is_active: None, .. })
            if machine_no == "12345678"
    ));
    let wdt = row(&[
        ("sku_id", "7"),
        ("fulfiller", "wdt_erp"),
        ("connection_id", "4"),
        ("goods_no", "G1"),
    ]);
    assert!(spec(&wdt).is_ok());
    let local = row(&[("sku_id", "8"), ("fulfiller", "local_stock")]);
    assert_eq!(
        spec(&local).map(|spec| spec.fulfiller),
        Ok(Fulfiller::LocalStock)
    );
}

#[test]
fn each_refusal_names_the_field() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("fulfiller", "vending")], "sku_id is required"),
        (
            &[("sku_id", "x1"), ("fulfiller", "vending")],
            "sku_id \"x1\" is not a positive integer",
        ),
        (
            &[("sku_id", "-3"), ("fulfiller", "vending")],
            "sku_id \"-3\" is not a positive integer",
        ),
        (&[("sku_id", "1")], "fulfiller is required"),
        (
            &[("sku_id", "1"), ("fulfiller", "ship")],
            "fulfiller \"ship\" is not one of local_stock, dujiao_upstream, vending, wdt_erp",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "dujiao_upstream"),
                ("upstream_sku_id", "1"),
            ],
            "connection_id is required for dujiao_upstream",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "dujiao_upstream"),
                ("connection_id", "1"),
            ],
            "upstream_sku_id is required for dujiao_upstream",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "dujiao_upstream"),
                ("connection_id", "1"),
                ("upstream_sku_id", "1.5"),
            ],
            "upstream_sku_id \"1.5\" is not a positive integer",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "dujiao_upstream"),
                ("connection_id", "1"),
                ("upstream_sku_id", "1"),
                ("machine_no", "12345678"),
            ],
            "machine_no is not used by dujiao_upstream",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "vending"),
                ("connection_id", "1"),
                ("machine_no", "1234"),
                ("vending_product_id", "p"),
            ],
            "machine_no \"1234\" is not 8 digits",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "vending"),
                ("connection_id", "1"),
                ("machine_no", "12345678"),
            ],
            "vending_product_id is required for vending",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "wdt_erp"),
                ("connection_id", "1"),
            ],
            "spec_no or goods_no is required for wdt_erp",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "local_stock"),
                ("connection_id", "1"),
            ],
            "connection_id is not used by local_stock",
        ),
        (
            &[
                ("sku_id", "1"),
                ("fulfiller", "local_stock"),
                ("is_active", "yes"),
            ],
            "is_active \"yes\" is not true, false, 1 or 0",
        ),
    ];
    for (fields, reason) in cases {
        assert_eq!(spec(&row(fields)), Err((*reason).to_owned()), "{fields:?}");
    }
    assert!(!RawRow::at(1).set("colour", "red"), "unknown field");
    let long = "9".repeat(100);
    let refused = spec(&row(&[("sku_id", &long), ("fulfiller", "local_stock")])).unwrap_err();
    assert!(refused.len() < 100, "the value is cut: {refused}");
}
