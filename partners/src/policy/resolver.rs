//! [`GuardedResolver`]: the DNS resolver of every partner and callback client. It resolves a name
//! with the system resolver and refuses the whole answer when any address is internal
//! ([`super::target`]), so a public name pointing at 127.0.0.1 or 169.254.169.254 is never
//! connected to.
//!
//! The check runs at connect time, on the very addresses the connection uses (no second lookup
//! that a short-TTL name could answer differently). Names are checked before the request is
//! sent ([`super::target::check_url`]); IP literals never reach a resolver and are checked there.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::target::{check_ip, ForbiddenTarget};

/// Resolves with the system resolver, refusing names that resolve to internal addresses.
#[derive(Debug, Default, Clone, Copy)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            // Port 0: reqwest sets the URL's port on each address it is given.
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                check_ip(addr.ip())?;
            }
            if addrs.is_empty() {
                return Err(ForbiddenTarget("name has no address").into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_refused() {
        let name = Name::from_str("localhost").expect("name");
        let error = match GuardedResolver.resolve(name).await {
            Ok(_) => panic!("localhost must not resolve through the guard"),
            Err(error) => error,
        };
        let refused = error
            .downcast_ref::<ForbiddenTarget>()
            .expect("typed refusal");
        assert_eq!(refused.0, "loopback address");
    }

    #[tokio::test]
    async fn an_ip_text_resolving_to_a_private_address_is_refused() {
        // The system resolver turns an address text into itself: the filter sees 10.0.0.1.
        let name = Name::from_str("10.0.0.1").expect("name");
        assert!(GuardedResolver.resolve(name).await.is_err());
    }
}
