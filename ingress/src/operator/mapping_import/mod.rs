//! Operator: `POST /admin/v1/mappings/import`, many SKU → fulfiller mappings at once from CSV
//! (`text/csv`, a header line naming the fields) or JSON (`application/json`, an array of
//! objects), with the fields of [`row::COLUMNS`].
//!
//! Contract: every row is checked on its own ([`row`]: required fields per kind, numbers;
//! [`references`]: the SKU exists, the connection exists, is active and of the fulfiller's
//! kind, a SKU appears once); each refused row is reported with its line and reason, and the
//! others are applied in one transaction, [`BATCH`] rows per statement. Applying is idempotent:
//! re-importing the same file reports every row `unchanged` and writes nothing. A file that is
//! not CSV with a header or not a JSON array is refused whole (400), another content type is 415,
//! and a body over [`MAX_IMPORT_BYTES`] is 413. At most [`REPORTED`] refusals are listed
//! (`errors_truncated` says when more were cut); `rejected` counts them all.

mod csv;
pub(crate) mod json_rows;
pub(crate) mod references;
pub(crate) mod row;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, StatusCode};
use serde_json::json;
use sqlx::PgPool;
use switchyard_store::mapping_admin::{self, Applied, MappingSpec};
use switchyard_store::{connections, StoreResult};

use super::{problem, store_problem};
use crate::state::AppState;
use references::{FirstLines, References};
use row::RawRow;

/// Largest import body (about a million CSV rows).
pub(crate) const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
/// Rows written per statement.
const BATCH: usize = 5_000;
/// Refused rows listed in one answer.
const REPORTED: usize = 1_000;

/// A file read into rows, and the rows that could not be read.
pub(crate) type Parsed = (Vec<RawRow>, Vec<Rejected>);

/// A row that is not applied, at its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejected {
    pub(crate) line: u64,
    pub(crate) reason: String,
}

pub(crate) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let read: fn(&str) -> Result<Parsed, String> = if content_type.starts_with("text/csv") {
        csv_rows
    } else if content_type.starts_with("application/json") {
        json_rows::rows
    } else {
        return problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as text/csv or application/json",
        );
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the file is not UTF-8",
        );
    };
    let (rows, rejected) = match read(text) {
        Ok(parsed) => parsed,
        Err(reason) => return problem(StatusCode::BAD_REQUEST, "bad_request", &reason),
    };
    let total = rows.len() + rejected.len();
    match validate_and_apply(&state.pool, rows, rejected).await {
        Ok((applied, mut rejected)) => {
            rejected.sort_by_key(|refused| refused.line);
            let count = rejected.len();
            let errors: Vec<_> = rejected
                .iter()
                .take(REPORTED)
                .map(|refused| json!({ "line": refused.line, "reason": refused.reason }))
                .collect();
            Json(json!({
                "rows": total,
                "applied": applied.created + applied.updated + applied.unchanged,
                "created": applied.created,
                "updated": applied.updated,
                "unchanged": applied.unchanged,
                "rejected": count,
                "errors": errors,
                "errors_truncated": count > REPORTED,
            }))
            .into_response()
        }
        Err(error) => store_problem(&error),
    }
}

/// Checks every row and applies the good ones; the refused ones come back with their reasons.
async fn validate_and_apply(
    pool: &PgPool,
    rows: Vec<RawRow>,
    mut rejected: Vec<Rejected>,
) -> StoreResult<(Applied, Vec<Rejected>)> {
    let mut first_lines = FirstLines::default();
    let mut specs: Vec<(u64, MappingSpec)> = Vec::with_capacity(rows.len());
    for raw in rows {
        let checked = row::spec(&raw)
            .and_then(|spec| first_lines.claim(spec.sku_id, raw.line).map(|()| spec));
        match checked {
            Ok(spec) => specs.push((raw.line, spec)),
            Err(reason) => rejected.push(Rejected {
                line: raw.line,
                reason,
            }),
        }
    }
    let references = load_references(pool, specs.iter().map(|(_, spec)| spec)).await?;
    let mut good = Vec::with_capacity(specs.len());
    for (line, spec) in specs {
        match references.check(&spec) {
            Ok(()) => good.push(spec),
            Err(misfit) => rejected.push(Rejected {
                line,
                reason: misfit.reason(),
            }),
        }
    }
    let mut applied = Applied::default();
    let mut tx = pool.begin().await?;
    for batch in good.chunks(BATCH) {
        applied += mapping_admin::apply(&mut *tx, batch).await?;
    }
    tx.commit().await?;
    Ok((applied, rejected))
}

/// The SKUs among those `specs` name, and every connection.
pub(crate) async fn load_references(
    pool: &PgPool,
    specs: impl Iterator<Item = &MappingSpec>,
) -> StoreResult<References> {
    let sku_ids: Vec<i64> = specs.map(|spec| spec.sku_id).collect();
    let skus = mapping_admin::existing_skus(pool, &sku_ids).await?;
    let connections = connections::list(pool, None)
        .await?
        .into_iter()
        .map(|connection| (connection.id, (connection.kind, connection.status)))
        .collect();
    Ok(References { skus, connections })
}

/// CSV rows: the first record names the fields; every other record is one row.
fn csv_rows(text: &str) -> Result<Parsed, String> {
    let mut records = csv::records(text).into_iter();
    let header = match records.next() {
        None => return Err("the file is empty; the first line names the fields".into()),
        Some(Err(bad)) => return Err(format!("the header line is not CSV: {}", bad.reason)),
        Some(Ok(header)) => header.fields,
    };
    let mut columns = Vec::with_capacity(header.len());
    for name in &header {
        let name = name.trim();
        if row::column_index(name).is_none() {
            return Err(format!(
                "unknown column {name:?} in the header; the columns are {}",
                row::COLUMNS.join(",")
            ));
        }
        if columns.contains(&name) {
            return Err(format!("column {name:?} appears twice in the header"));
        }
        columns.push(name);
    }
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for record in records {
        match record {
            Err(bad) => rejected.push(Rejected {
                line: bad.line,
                reason: bad.reason,
            }),
            Ok(record) if record.fields.len() != columns.len() => rejected.push(Rejected {
                line: record.line,
                reason: format!(
                    "{} fields where the header has {}",
                    record.fields.len(),
                    columns.len()
                ),
            }),
            Ok(record) => {
                let mut raw = RawRow::at(record.line);
                for (name, value) in columns.iter().zip(&record.fields) {
                    raw.set(name, value);
                }
                rows.push(raw);
            }
        }
    }
    Ok((rows, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_follow_the_header_and_report_short_rows() {
        let text = "fulfiller,sku_id\nlocal_stock,4\nlocal_stock\n\nlocal_stock,\"5\"\n";
        let (rows, rejected) = csv_rows(text).expect("a header");
        let read: Vec<(u64, Option<&str>)> = rows
            .iter()
            .map(|row| (row.line, row.values[0].as_deref()))
            .collect();
        assert_eq!(read, vec![(2, Some("4")), (5, Some("5"))]);
        assert_eq!(
            rejected,
            vec![Rejected {
                line: 3,
                reason: "1 fields where the header has 2".into()
            }]
        );
    }

    #[test]
    fn a_bad_header_refuses_the_file() {
        assert!(csv_rows("").is_err());
        let unknown = csv_rows("sku_id,colour\n1,red\n").unwrap_err();
        assert!(unknown.contains("unknown column \"colour\""), "{unknown}");
        let twice = csv_rows("sku_id,sku_id\n").unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
    }
}
