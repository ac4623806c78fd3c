//! `callback_url` as a parsed value: http(s) and, unless allowed by configuration, not pointing
//! at an internal host (no SSRF into our own network).
//!
//! The rules are the partner policy's ([`switchyard_partners::policy::target`], one
//! definition): IP literals in internal ranges, single-label names and cluster-internal suffixes
//! are refused here. Names are not resolved here; the relayer's client checks every address a
//! name resolves to when it connects.

use switchyard_partners::policy::target::check_url;
use url::Url;

/// A callback URL that passed the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallbackUrl(Url);

impl CallbackUrl {
    /// Parses `text`; `allow_private` admits loopback and private targets (local tests only).
    pub(crate) fn parse(text: &str, allow_private: bool) -> Option<Self> {
        let url = Url::parse(text.trim()).ok()?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return None;
        }
        if !allow_private && check_url(&url).is_err() {
            return None;
        }
        Some(Self(url))
    }

    /// The URL as text.
    pub(crate) fn as_str(&self) -> &str {
        self.0.as_str()
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
            "http://100.64.0.1/cb",
            "http://198.18.0.1/cb",
            "http://[64:ff9b::a9fe:a9fe]/cb",
            "http://[::ffff:169.254.169.254]/cb",
            "http://orders.default.svc.cluster.local/cb",
            "http://intranet/cb",
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
