//! PostgreSQL state: migrations and the queries the ingress and workers share.
