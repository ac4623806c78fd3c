//! The six consumers: procurer, callback-relayer, status-syncer, stock-syncer, expiry-sweeper, reconciler.
