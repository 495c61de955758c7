//! RSA private keys as OCI users have them: PKCS#1 (`BEGIN RSA PRIVATE KEY`), PKCS#8
//! (`BEGIN PRIVATE KEY`, what the console generates), encrypted PKCS#8 (`BEGIN ENCRYPTED
//! PRIVATE KEY`) and legacy OpenSSL-encrypted PKCS#1 (`Proc-Type: 4,ENCRYPTED`), with the
//! config file's `pass_phrase`. Also the public-key forms OCI wants: the API-key
//! fingerprint and the SubjectPublicKeyInfo in base64.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};
use pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

/// Why a PEM private key could not be read. The caller adds which file it was.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("it is not a PEM private key (expected a `-----BEGIN ... PRIVATE KEY-----` block)")]
    NotPem,
    #[error("the key is encrypted and no pass_phrase was given")]
    PassphraseNeeded,
    #[error("the pass_phrase does not decrypt the key (wrong pass_phrase?)")]
    WrongPassphrase,
    #[error("the key is encrypted with {0}, which is not supported (use AES-128/192/256-CBC)")]
    UnsupportedCipher(String),
    #[error("it is a {0} key; OCI signs with RSA keys")]
    NotRsa(String),
    #[error("the key is malformed: {0}")]
    Malformed(String),
    #[error("no key could be generated: {0}")]
    Generation(String),
}

/// An RSA private key, ready to sign (RSASSA-PKCS1-v1_5 with SHA-256), and what OCI
/// derives from its public half.
#[derive(Clone)]
pub struct PrivateKey {
    signing: SigningKey<Sha256>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key material.
        f.debug_struct("PrivateKey")
            .field("fingerprint", &self.fingerprint())
            .finish()
    }
}

impl PrivateKey {
    /// Reads a PEM key in any of the forms above. A passphrase given for a key that is
    /// not encrypted is ignored, as the Python SDK does.
    pub fn from_pem(pem: &str, passphrase: Option<&str>) -> Result<Self, KeyError> {
        let label = pem_label(pem).ok_or(KeyError::NotPem)?;
        let key = match label {
            "RSA PRIVATE KEY" if pem.contains("Proc-Type: 4,ENCRYPTED") => {
                let passphrase = passphrase.ok_or(KeyError::PassphraseNeeded)?;
                legacy_encrypted(pem, passphrase)?
            }
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|e| KeyError::Malformed(e.to_string()))?,
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(pem).map_err(|e| pkcs8_error(&e))?,
            "ENCRYPTED PRIVATE KEY" => {
                let passphrase = passphrase.ok_or(KeyError::PassphraseNeeded)?;
                RsaPrivateKey::from_pkcs8_encrypted_pem(pem, passphrase).map_err(|e| match e {
                    pkcs8::Error::EncryptedPrivateKey(_) => KeyError::WrongPassphrase,
                    // A wrong passphrase often decrypts to bytes that are not a key.
                    pkcs8::Error::Asn1(_) | pkcs8::Error::KeyMalformed => KeyError::WrongPassphrase,
                    other => pkcs8_error(&other),
                })?
            }
            other if other.ends_with("PRIVATE KEY") => {
                return Err(KeyError::NotRsa(
                    other.trim_end_matches(" PRIVATE KEY").to_owned(),
                ));
            }
            _ => return Err(KeyError::NotPem),
        };
        Ok(PrivateKey::from(key))
    }

    /// A fresh RSA-2048 key (e = 65537): the session keys of token-based principals.
    pub fn generate() -> Result<Self, KeyError> {
        let mut rng = rsa::rand_core::OsRng;
        RsaPrivateKey::new(&mut rng, 2048)
            .map(PrivateKey::from)
            .map_err(|e| KeyError::Generation(e.to_string()))
    }

    /// [`Self::generate`] on a blocking thread: an RSA-2048 key takes tens to hundreds of
    /// milliseconds of CPU, which on an async worker would stall every other task on it.
    /// Async callers use this one.
    pub async fn generate_off_runtime() -> Result<Self, KeyError> {
        tokio::task::spawn_blocking(PrivateKey::generate)
            .await
            .map_err(|e| KeyError::Generation(format!("the key generation did not finish: {e}")))?
    }

    pub fn rsa(&self) -> &RsaPrivateKey {
        self.signing.as_ref()
    }

    pub fn public(&self) -> RsaPublicKey {
        self.rsa().to_public_key()
    }

    /// RSASSA-PKCS1-v1_5 over SHA-256 of `data`: the signature of OCI requests and JWTs.
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        self.signing.sign(data).to_vec()
    }

    /// DER SubjectPublicKeyInfo of the public half.
    pub fn public_der(&self) -> Vec<u8> {
        self.public()
            .to_public_key_der()
            .map(|der| der.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// The public key as OCI's federation and token endpoints take it: the PEM body
    /// (standard base64 of the DER SubjectPublicKeyInfo) without header, footer or newlines.
    pub fn public_base64(&self) -> String {
        STANDARD.encode(self.public_der())
    }

    /// The API-key fingerprint: MD5 of the DER SubjectPublicKeyInfo, lowercase hex pairs
    /// joined by colons (`73:61:a2:...`).
    pub fn fingerprint(&self) -> String {
        let digest = Md5::digest(self.public_der());
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

impl From<RsaPrivateKey> for PrivateKey {
    fn from(key: RsaPrivateKey) -> Self {
        PrivateKey {
            signing: SigningKey::new(key),
        }
    }
}

fn pkcs8_error(e: &pkcs8::Error) -> KeyError {
    match e {
        pkcs8::Error::KeyMalformed => KeyError::Malformed("not an RSA PKCS#8 key".to_owned()),
        other => KeyError::Malformed(other.to_string()),
    }
}

/// The label of the first PEM block: `RSA PRIVATE KEY` for `-----BEGIN RSA PRIVATE KEY-----`.
fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = &pem[start..];
    let end = rest.find("-----")?;
    Some(&rest[..end])
}

/// Decrypts a PKCS#1 key in OpenSSL's traditional encrypted form:
///
/// ```text
/// -----BEGIN RSA PRIVATE KEY-----
/// Proc-Type: 4,ENCRYPTED
/// DEK-Info: AES-128-CBC,<IV in hex>
///
/// <base64>
/// -----END RSA PRIVATE KEY-----
/// ```
///
/// The AES key comes from the passphrase by OpenSSL's EVP_BytesToKey (MD5, one round,
/// the IV's first 8 bytes as salt).
fn legacy_encrypted(pem: &str, passphrase: &str) -> Result<RsaPrivateKey, KeyError> {
    let malformed = |what: &str| KeyError::Malformed(what.to_owned());
    let mut dek_info = None;
    let mut body = String::new();
    let mut in_block = false;
    for line in pem.lines().map(str::trim) {
        if line.starts_with("-----BEGIN ") {
            in_block = true;
        } else if line.starts_with("-----END ") {
            break;
        } else if in_block {
            if let Some(value) = line.strip_prefix("DEK-Info:") {
                dek_info = Some(value.trim().to_owned());
            } else if !line.contains(':') {
                body.push_str(line);
            }
        }
    }
    let dek_info = dek_info.ok_or_else(|| malformed("an encrypted key without DEK-Info"))?;
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| malformed("DEK-Info without an IV"))?;
    let iv = hex_decode(iv_hex.trim()).ok_or_else(|| malformed("DEK-Info's IV is not hex"))?;
    let key_len = match cipher.trim() {
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        other => return Err(KeyError::UnsupportedCipher(other.to_owned())),
    };
    if iv.len() != 16 {
        return Err(malformed("DEK-Info's IV is not 16 bytes"));
    }
    let ciphertext = STANDARD
        .decode(body.as_bytes())
        .map_err(|e| KeyError::Malformed(format!("base64: {e}")))?;
    let key = evp_bytes_to_key(passphrase.as_bytes(), &iv[..8], key_len);
    let plain = match key_len {
        16 => decrypt::<aes::Aes128>(&key, &iv, &ciphertext),
        24 => decrypt::<aes::Aes192>(&key, &iv, &ciphertext),
        _ => decrypt::<aes::Aes256>(&key, &iv, &ciphertext),
    }
    .ok_or(KeyError::WrongPassphrase)?;
    RsaPrivateKey::from_pkcs1_der(&plain).map_err(|_| KeyError::WrongPassphrase)
}

fn decrypt<C>(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>>
where
    C: cbc::cipher::BlockCipher + cbc::cipher::BlockDecryptMut + cbc::cipher::KeyInit,
{
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    decryptor.decrypt_padded_vec_mut::<Pkcs7>(ciphertext).ok()
}

/// OpenSSL's EVP_BytesToKey with MD5 and one iteration: D_i = MD5(D_(i-1) || pass || salt).
fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut key = Vec::with_capacity(len + 16);
    let mut previous: Vec<u8> = Vec::new();
    while key.len() < len {
        let mut hasher = Md5::new();
        hasher.update(&previous);
        hasher.update(passphrase);
        hasher.update(salt);
        previous = hasher.finalize().to_vec();
        key.extend_from_slice(&previous);
    }
    key.truncate(len);
    key
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The OCI documentation's sample key (also in `oci_api.md` §1.6).
    pub const DOC_KEY: &str = include_str!("../tests/fixtures/doc_key_pkcs1.pem");

    /// A key generated for a session leaves the runtime free meanwhile: on a runtime with
    /// one thread, another task runs while the key is made (inline, it could not run
    /// before the key was done).
    #[tokio::test(flavor = "current_thread")]
    async fn keys_are_generated_off_the_async_runtime() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let ticks = Arc::new(AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    ticks.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            }
        });
        let key = PrivateKey::generate_off_runtime().await.expect("a key");
        let ran = ticks.load(Ordering::SeqCst);
        ticker.abort();
        assert_eq!(
            key.public_der().len(),
            294,
            "an RSA-2048 SubjectPublicKeyInfo"
        );
        assert!(
            ran > 0,
            "the runtime's other task never ran during key generation"
        );
    }

    #[test]
    fn the_doc_key_has_the_documented_fingerprint() {
        let key = PrivateKey::from_pem(DOC_KEY, None).expect("the doc key");
        assert_eq!(
            key.fingerprint(),
            "73:61:a2:21:67:e0:df:be:7e:4b:93:1e:15:98:a5:b7"
        );
        // A passphrase for a key that is not encrypted is ignored.
        assert!(PrivateKey::from_pem(DOC_KEY, Some("unused")).is_ok());
    }

    #[test]
    fn every_key_form_reads_to_the_same_key() {
        let plain = PrivateKey::from_pem(DOC_KEY, None).expect("pkcs1");
        for (file, passphrase) in [
            (include_str!("../tests/fixtures/doc_key_pkcs8.pem"), None),
            (
                include_str!("../tests/fixtures/doc_key_pkcs8_encrypted.pem"),
                Some("secret words"),
            ),
            (
                include_str!("../tests/fixtures/doc_key_legacy_aes128.pem"),
                Some("secret words"),
            ),
            (
                include_str!("../tests/fixtures/doc_key_legacy_aes256.pem"),
                Some("secret words"),
            ),
        ] {
            let key = PrivateKey::from_pem(file, passphrase).expect("readable");
            assert_eq!(key.rsa(), plain.rsa());
        }
    }

    #[test]
    fn encrypted_keys_need_the_right_passphrase() {
        for file in [
            include_str!("../tests/fixtures/doc_key_pkcs8_encrypted.pem"),
            include_str!("../tests/fixtures/doc_key_legacy_aes128.pem"),
        ] {
            assert_eq!(
                PrivateKey::from_pem(file, None).err(),
                Some(KeyError::PassphraseNeeded)
            );
            assert_eq!(
                PrivateKey::from_pem(file, Some("wrong")).err(),
                Some(KeyError::WrongPassphrase)
            );
        }
    }

    #[test]
    fn what_is_not_an_rsa_pem_key_is_named() {
        assert_eq!(
            PrivateKey::from_pem("hello", None).err(),
            Some(KeyError::NotPem)
        );
        let ec = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert_eq!(
            PrivateKey::from_pem(ec, None).err(),
            Some(KeyError::NotRsa("EC".to_owned()))
        );
    }

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-128-cbc -k password -S 0102030405060708 -P -md md5`
        let key = evp_bytes_to_key(b"password", &[1, 2, 3, 4, 5, 6, 7, 8], 16);
        assert_eq!(
            key.iter().map(|b| format!("{b:02X}")).collect::<String>(),
            include_str!("../tests/fixtures/evp_key.txt").trim()
        );
    }
}
