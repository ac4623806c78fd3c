//! Partner protocols: signing, wire types, status mappings and rate-limited HTTP clients.
