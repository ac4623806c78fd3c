//! The checks of a mapping against the database's state, without the database: the SKU exists,
//! the connection exists, is active and speaks the fulfiller's protocol, and no SKU is mapped
//! twice in one import.
//!
//! Contract: [`References`] is read once per import (all SKUs named, all connections); each row
//! is then checked in memory, so an import costs two reads however many rows it has.

use std::collections::{HashMap, HashSet};

use switchyard_store::connections::{ConnectionKind, ConnectionStatus};
use switchyard_store::mapping_admin::{connection_kind_for, MappingSpec};

/// Why a row does not fit the database, for the single-mapping route's status code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Misfit {
    /// The SKU or the connection does not exist.
    Missing(String),
    /// The connection is not active or speaks another protocol.
    Conflict(String),
}

impl Misfit {
    /// The reason, for a person.
    pub(crate) fn reason(self) -> String {
        match self {
            Misfit::Missing(reason) | Misfit::Conflict(reason) => reason,
        }
    }
}

/// The SKUs and connections an import refers to.
#[derive(Debug, Default)]
pub(crate) struct References {
    pub(crate) skus: HashSet<i64>,
    pub(crate) connections: HashMap<i64, (ConnectionKind, ConnectionStatus)>,
}

impl References {
    /// Whether `spec` fits.
    pub(crate) fn check(&self, spec: &MappingSpec) -> Result<(), Misfit> {
        if !self.skus.contains(&spec.sku_id) {
            return Err(Misfit::Missing(format!(
                "sku {} does not exist",
                spec.sku_id
            )));
        }
        let (Some(id), Some(wanted)) = (
            spec.fulfiller.connection_id(),
            connection_kind_for(spec.fulfiller.kind()),
        ) else {
            return Ok(());
        };
        let Some((kind, status)) = self.connections.get(&id) else {
            return Err(Misfit::Missing(format!("connection {id} does not exist")));
        };
        if *kind != wanted {
            return Err(Misfit::Conflict(format!(
                "connection {id} is a {kind} connection; {} needs {wanted}",
                spec.fulfiller.kind()
            )));
        }
        if *status != ConnectionStatus::Active {
            return Err(Misfit::Conflict(format!(
                "connection {id} is {status}, not active"
            )));
        }
        Ok(())
    }
}

/// Remembers the first line of each SKU so a second row for it is refused.
#[derive(Debug, Default)]
pub(crate) struct FirstLines(HashMap<i64, u64>);

impl FirstLines {
    /// `Err` with the reason when `sku_id` was already seen on an earlier line.
    pub(crate) fn claim(&mut self, sku_id: i64, line: u64) -> Result<(), String> {
        match self.0.insert(sku_id, line) {
            Some(first) => {
                self.0.insert(sku_id, first);
                Err(format!("sku {sku_id} is already mapped on line {first}"))
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_store::mappings::Fulfiller;

    fn references() -> References {
        References {
            skus: HashSet::from([1, 2]),
            connections: HashMap::from([
                (
                    10,
                    (ConnectionKind::DujiaoUpstream, ConnectionStatus::Active),
                ),
                (
                    11,
                    (ConnectionKind::DujiaoUpstream, ConnectionStatus::Pending),
                ),
                (12, (ConnectionKind::Vending, ConnectionStatus::Active)),
            ]),
        }
    }

    fn dujiao(sku_id: i64, connection_id: i64) -> MappingSpec {
        MappingSpec {
            sku_id,
            fulfiller: Fulfiller::DujiaoUpstream {
                connection_id,
                upstream_product_id: None,
                upstream_sku_id: 3,
            },
            is_active: None,
        }
    }

    #[test]
    fn skus_and_connections_must_exist_be_active_and_match() {
        let refs = references();
        assert_eq!(refs.check(&dujiao(1, 10)), Ok(()));
        let local = MappingSpec {
            sku_id: 2,
            fulfiller: Fulfiller::LocalStock,
            is_active: None,
        };
        assert_eq!(refs.check(&local), Ok(()));
        assert_eq!(
            refs.check(&dujiao(3, 10)),
            Err(Misfit::Missing("sku 3 does not exist".into()))
        );
        assert_eq!(
            refs.check(&dujiao(1, 99)),
            Err(Misfit::Missing("connection 99 does not exist".into()))
        );
        assert_eq!(
            refs.check(&dujiao(1, 11)),
            Err(Misfit::Conflict(
                "connection 11 is pending, not active".into()
            ))
        );
        assert_eq!(
            refs.check(&dujiao(1, 12)).map_err(Misfit::reason),
            Err(
                "connection 12 is a vending connection; dujiao_upstream needs dujiao_upstream"
                    .into()
            )
        );
    }

    #[test]
    fn a_sku_is_mapped_once_per_import() {
        let mut seen = FirstLines::default();
        assert_eq!(seen.claim(5, 2), Ok(()));
        assert_eq!(seen.claim(6, 3), Ok(()));
        assert_eq!(
            seen.claim(5, 9),
            Err("sku 5 is already mapped on line 2".into())
        );
        assert_eq!(
            seen.claim(5, 10),
            Err("sku 5 is already mapped on line 2".into())
        );
    }
}
