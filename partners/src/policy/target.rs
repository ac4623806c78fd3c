//! Which hosts an outbound partner or callback call may reach: the one definition of "internal"
//! (no SSRF into our own network), shared by the policy's resolver and by the ingress's
//! `callback_url` check.
//!
//! Refused addresses: unspecified/"this network" (0/8, `::`), loopback, RFC 1918 private,
//! link-local, CGNAT 100.64/10, IETF protocol assignments 192.0.0/24, benchmarking 198.18/15,
//! reserved 240/4 (with broadcast), multicast, ULA fc00::/7, site-local fec0::/10, NAT64
//! 64:ff9b::/96 and 64:ff9b:1::/48, and IPv6 forms that embed a refused IPv4 address (v4-mapped,
//! v4-compatible, 6to4). Refused names: single-label names and the cluster-internal suffixes
//! `localhost`, `.local`, `.internal`, `.svc`, `.cluster.local`. A name is only as safe as what it
//! resolves to, so callers check the resolved addresses too ([`super::resolver`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use reqwest::Url;

/// Why a target was refused; names the rule, never the URL (it may carry a signature).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("target refused: {0}")]
pub struct ForbiddenTarget(pub &'static str);

/// Name suffixes that only mean something inside a cluster or a LAN.
const INTERNAL_SUFFIXES: [&str; 5] = [".localhost", ".local", ".internal", ".svc", ".localdomain"];

/// Checks a URL before any connection: scheme, then its host as a name or an IP literal.
///
/// IP literals never reach a DNS resolver, so this is the only check they get.
pub fn check_url(url: &Url) -> Result<(), ForbiddenTarget> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ForbiddenTarget("not an http(s) URL"));
    }
    match url.host() {
        None => Err(ForbiddenTarget("no host")),
        Some(url::Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => check_name(name),
    }
}

/// Refuses single-label and cluster-internal host names.
pub fn check_name(name: &str) -> Result<(), ForbiddenTarget> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == "localhost" || INTERNAL_SUFFIXES.iter().any(|s| name.ends_with(s)) {
        return Err(ForbiddenTarget("internal host name"));
    }
    if !name.contains('.') {
        return Err(ForbiddenTarget("single-label host name"));
    }
    Ok(())
}

/// Refuses an address in any internal or non-unicast range.
pub fn check_ip(ip: IpAddr) -> Result<(), ForbiddenTarget> {
    match internal_range(ip) {
        Some(range) => Err(ForbiddenTarget(range)),
        None => Ok(()),
    }
}

/// The internal range `ip` falls in, if any.
fn internal_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => v4_range(ip),
        IpAddr::V6(ip) => v6_range(ip),
    }
}

fn v4_range(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b) {
        (0, _) => "\"this network\" address (0/8)",
        (127, _) => "loopback address",
        (10, _) | (172, 16..=31) | (192, 168) => "private address",
        (169, 254) => "link-local address",
        (100, 64..=127) => "carrier-grade NAT address (100.64/10)",
        (198, 18..=19) => "benchmarking address (198.18/15)",
        (192, 0) if c == 0 => "IETF protocol address (192.0.0/24)",
        (224..=239, _) => "multicast address",
        (240..=255, _) => "reserved or broadcast address (240/4)",
        _ => return None,
    })
}

fn v6_range(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_loopback() {
        return Some("loopback address");
    }
    if ip.is_unspecified() {
        return Some("unspecified address");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return v4_range(v4);
    }
    // v4-compatible (::a.b.c.d) is deprecated and never a partner; it also covers `::` and `::1`.
    if let Some(v4) = ip.to_ipv4() {
        return Some(v4_range(v4).unwrap_or("IPv4-compatible address"));
    }
    let first = segments[0];
    Some(match first {
        _ if first & 0xfe00 == 0xfc00 => "unique local address (fc00::/7)",
        _ if first & 0xffc0 == 0xfe80 => "link-local address",
        _ if first & 0xffc0 == 0xfec0 => "site-local address",
        _ if first & 0xff00 == 0xff00 => "multicast address",
        0x0064 if segments[1] == 0xff9b => "NAT64 address (64:ff9b::/96)",
        0x2002 => {
            // 6to4 embeds an IPv4 address in bits 16..48.
            let [x, y] = segments[1].to_be_bytes();
            let [z, w] = segments[2].to_be_bytes();
            return v4_range(Ipv4Addr::new(x, y, z, w)).map(|_| "6to4 address of an internal IPv4");
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(ip: &str) -> bool {
        check_ip(ip.parse().expect("test address")).is_err()
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "192.0.1.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(!refused(ip), "{ip} is public");
        }
    }

    #[test]
    fn each_internal_v4_range_is_refused() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(refused(ip), "{ip} is internal");
        }
    }

    #[test]
    fn each_internal_v6_range_is_refused() {
        for ip in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "64:ff9b::a00:1",
            "64:ff9b::808:808",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:100.64.0.1",
            "::127.0.0.1",
            "2002:7f00:0001::1",
            "2002:0a00:0001::1",
        ] {
            assert!(refused(ip), "{ip} is internal");
        }
    }

    #[test]
    fn internal_and_single_label_names_are_refused() {
        for name in [
            "localhost",
            "localhost.",
            "LOCALHOST",
            "api.localhost",
            "printer.local",
            "db.internal",
            "metadata.google.internal",
            "orders.default.svc",
            "orders.default.svc.cluster.local",
            "kafka",
            "intranet.",
        ] {
            assert!(check_name(name).is_err(), "{name} is internal");
        }
        for name in ["shop.example.com", "api.partner.cn.", "svc.example.com"] {
            assert!(check_name(name).is_ok(), "{name} is public");
        }
    }

    #[test]
    fn urls_are_checked_by_scheme_and_host() {
        let check = |text: &str| check_url(&Url::parse(text).expect("test url"));
        assert!(check("https://shop.example.com/cb").is_ok());
        assert!(check("http://93.184.216.34:8080/cb").is_ok());
        assert_eq!(
            check("http://127.0.0.1:9000/cb"),
            Err(ForbiddenTarget("loopback address"))
        );
        assert!(check("http://[::1]/cb").is_err());
        assert!(check("http://[::ffff:7f00:1]/cb").is_err());
        assert!(check("http://2130706433/cb").is_err(), "decimal 127.0.0.1");
        assert!(check("http://0x7f.1/cb").is_err(), "hex 127.0.0.1");
        assert!(check("http://localhost:8080/cb").is_err());
        assert!(check("ftp://shop.example.com/cb").is_err());
    }
}
