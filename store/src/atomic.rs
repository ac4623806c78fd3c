//! Atomic units of work that compose into the caller's transaction without savepoints.
//!
//! Contract: [`Atomic::begin`] on a connection that is *not* in a transaction opens one, and
//! [`Atomic::commit`] commits it (dropping it uncommitted rolls back). On a connection that is
//! already in a transaction it joins that transaction: no `SAVEPOINT`/`RELEASE` round trips, and
//! `commit` leaves the outcome to the caller. A function that fails inside a joined transaction
//! may have left partial writes in it, so the caller must not commit after an error; every
//! caller in this workspace propagates such errors and lets its transaction roll back.

use std::ops::{Deref, DerefMut};

use sqlx::{Connection, PgConnection, Postgres, Transaction};

use crate::error::StoreResult;

/// A transaction of one's own, or the caller's.
pub(crate) enum Atomic<'c> {
    /// Joined the caller's transaction.
    Joined(&'c mut PgConnection),
    /// Opened here.
    Own(Transaction<'c, Postgres>),
}

impl<'c> Atomic<'c> {
    /// Joins `conn`'s transaction, or opens one.
    pub(crate) async fn begin(conn: &'c mut PgConnection) -> StoreResult<Self> {
        if conn.is_in_transaction() {
            Ok(Self::Joined(conn))
        } else {
            Ok(Self::Own(conn.begin().await?))
        }
    }

    /// Commits a transaction opened here; a joined one is the caller's to commit.
    pub(crate) async fn commit(self) -> StoreResult<()> {
        if let Self::Own(tx) = self {
            tx.commit().await?;
        }
        Ok(())
    }
}

impl Deref for Atomic<'_> {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Self::Joined(conn) => conn,
            Self::Own(tx) => tx,
        }
    }
}

impl DerefMut for Atomic<'_> {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Self::Joined(conn) => conn,
            Self::Own(tx) => tx,
        }
    }
}
