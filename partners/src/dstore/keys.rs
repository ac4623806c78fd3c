//! RSA key material for D-Store signing: the POS private key (PKCS#8 PEM) and the D-Store public
//! key (X.509 SubjectPublicKeyInfo as PEM or as the bare base64 DER the D-Store console shows).
//!
//! Contract: keys are parsed once at start-up and never printed. `Debug` shows only the key kind
//! and size, so a key can sit in a config struct that is logged without leaking anything.
//!
//! Signing uses `ring` (constant-time arithmetic and blinding): the `rsa` crate's private-key
//! operation is not constant-time (RUSTSEC-2023-0071), and we sign answers for anyone who holds
//! a Client-Id. `ring` accepts 2048- to 4096-bit keys; smaller keys are refused as invalid.
//! Verification (public key only) stays on `rsa`.

use base64::Engine as _;
use std::sync::Arc;

use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};

/// Why a key could not be loaded. Always permanent: a bad key is a configuration error.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The text was not a PKCS#8 `PRIVATE KEY` PEM block holding a 2048- to 4096-bit RSA key.
    #[error("the D-Store private key is not a 2048- to 4096-bit RSA PKCS#8 key")]
    InvalidPrivateKey,
    /// The text was neither an SPKI `PUBLIC KEY` PEM block nor base64 SPKI DER.
    #[error("the D-Store public key is not an RSA SubjectPublicKeyInfo (PEM or base64 DER)")]
    InvalidPublicKey,
}

/// An RSA private key that signs D-Store requests or answers ("RSA256": PKCS#1 v1.5, SHA-256).
#[derive(Clone)]
pub struct DstorePrivateKey {
    pair: Arc<RsaKeyPair>,
    public: RsaPublicKey,
}

impl std::fmt::Debug for DstorePrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "DstorePrivateKey(rsa-{}, redacted)",
            self.pair.public().modulus_len() * 8
        )
    }
}

impl DstorePrivateKey {
    /// Parses a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the form D-Store's guide produces.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, KeyError> {
        let body: String = pem
            .trim()
            .strip_prefix("-----BEGIN PRIVATE KEY-----")
            .and_then(|rest| rest.strip_suffix("-----END PRIVATE KEY-----"))
            .ok_or(KeyError::InvalidPrivateKey)?
            .to_owned();
        Self::from_pkcs8_base64(&body)
    }

    /// Parses the bare base64 of the PKCS#8 DER, as key tools often print a private key.
    pub fn from_pkcs8_base64(text: &str) -> Result<Self, KeyError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| KeyError::InvalidPrivateKey)?;
        let pair = RsaKeyPair::from_pkcs8(&der).map_err(|_| KeyError::InvalidPrivateKey)?;
        let public = RsaPublicKey::from_pkcs1_der(pair.public().as_ref())
            .map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(Self {
            pair: Arc::new(pair),
            public,
        })
    }

    /// Accepts either form: PEM when the text has a PEM header, base64 DER otherwise.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.contains("-----BEGIN") {
            Self::from_pkcs8_pem(text)
        } else {
            Self::from_pkcs8_base64(text)
        }
    }

    /// The matching public key (what the other side verifies with).
    pub fn public_key(&self) -> DstorePublicKey {
        DstorePublicKey {
            key: self.public.clone(),
        }
    }

    /// Signs `content` with RSA PKCS#1 v1.5 over SHA-256 and returns the raw signature bytes.
    ///
    /// PKCS#1 v1.5 is deterministic, which is what makes the golden vector possible; the
    /// blinding ring applies inside changes the work, not the result.
    pub fn sign(&self, content: &[u8]) -> Vec<u8> {
        let mut signature = vec![0; self.pair.public().modulus_len()];
        // Fails only when the system RNG (for blinding) fails; an empty signature is then
        // refused by the peer rather than crashing the answer path.
        match self.pair.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            content,
            &mut signature,
        ) {
            Ok(()) => signature,
            Err(_) => Vec::new(),
        }
    }
}

/// An RSA public key that verifies D-Store signatures.
#[derive(Clone, PartialEq, Eq)]
pub struct DstorePublicKey {
    key: RsaPublicKey,
}

impl std::fmt::Debug for DstorePublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DstorePublicKey(rsa-{})", self.key.size() * 8)
    }
}

impl DstorePublicKey {
    /// Parses an SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_spki_pem(pem: &str) -> Result<Self, KeyError> {
        let key = RsaPublicKey::from_public_key_pem(pem.trim())
            .map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(Self { key })
    }

    /// Parses the bare base64 of the SPKI DER, as D-Store hands out its public key.
    pub fn from_spki_base64(text: &str) -> Result<Self, KeyError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| KeyError::InvalidPublicKey)?;
        let key =
            RsaPublicKey::from_public_key_der(&der).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(Self { key })
    }

    /// Accepts either form: PEM when the text has a PEM header, base64 DER otherwise.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        if text.contains("-----BEGIN") {
            Self::from_spki_pem(text)
        } else {
            Self::from_spki_base64(text)
        }
    }

    /// True when `signature` is a valid RSA256 signature of `content` under this key.
    pub fn verify(&self, content: &[u8], signature: &[u8]) -> bool {
        let digest = Sha256::digest(content);
        self.key
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, signature)
            .is_ok()
    }
}
