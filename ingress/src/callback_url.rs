//! `callback_url` as a parsed value: http(s) and, unless allowed by configuration, not pointing
//! at loopback, private, link-local or unspecified addresses (no SSRF into our own network).
//!
//! Hostnames are checked by name (`localhost`, `*.localhost`, `*.local`, `*.internal`); they are
//! not resolved here — the relayer that calls the URL must apply the same rule to the resolved
//! address.

use std::net::IpAddr;

use url::{Host, Url};

/// A callback URL that passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallbackUrl(Url);

impl CallbackUrl {
    /// Parses `text`; `allow_private` admits loopback and private targets (local tests only).
    pub(crate) fn parse(text: &str, allow_private: bool) -> Option<Self> {
        let url = Url::parse(text.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        let host = url.host()?;
        if !allow_private && is_internal(&host) {
            return None;
        }
        Some(Self(url))
    }

    /// The URL as text.
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

fn is_internal(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => internal_ip(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => internal_ip(IpAddr::V6(*ip)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || name.ends_with(".localhost")
                || name.ends_with(".local")
                || name.ends_with(".internal")
        }
    }
}

fn internal_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_loopback()
                || ip.is_private()
                || ip.is_link_local()
                || ip.is_unspecified()
                || ip.is_broadcast()
                // 100.64.0.0/10 carrier-grade NAT
                || (ip.octets()[0] == 100 && (ip.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(ip) => {
            let first = ip.segments()[0];
            ip.is_loopback()
                || ip.is_unspecified()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || ip.to_ipv4_mapped().is_some_and(|v4| internal_ip(IpAddr::V4(v4)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CallbackUrl;

    #[test]
    fn public_http_urls_pass() {
        assert!(
            CallbackUrl::parse("https://shop.example.com/api/v1/upstream/callback", false)
                .is_some()
        );
    }

    #[test]
    fn internal_targets_and_other_schemes_are_refused() {
        for url in [
            "http://127.0.0.1/cb",
            "http://10.1.2.3/cb",
            "http://192.168.0.1/cb",
            "http://172.16.0.9/cb",
            "http://169.254.169.254/latest",
            "http://[::1]/cb",
            "http://[fd00::1]/cb",
            "http://localhost:8080/cb",
            "ftp://example.com/cb",
            "not a url",
        ] {
            assert!(
                CallbackUrl::parse(url, false).is_none(),
                "{url} should be refused"
            );
        }
    }

    #[test]
    fn the_switch_allows_loopback_for_local_tests() {
        assert!(CallbackUrl::parse("http://127.0.0.1:9000/cb", true).is_some());
    }
}
