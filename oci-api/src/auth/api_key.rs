//! API-key auth: a user's key pair, from a config file profile (`user`, `tenancy`,
//! `fingerprint`, `key_file`, `pass_phrase`, `region`).

use std::sync::Arc;

use super::{
    AuthError, AuthKind, AuthProvider, AuthSettings, BoxFuture, Environment, Principal, profile_key,
};
use crate::config_file::Profile;
use crate::signer::Signer;

const NEEDS: &str = "API-key auth needs user, tenancy, fingerprint, key_file and region";

#[derive(Debug)]
pub struct ApiKey {
    principal: Principal,
    signer: Signer,
}

impl ApiKey {
    pub fn from_profile(
        profile: &Profile,
        settings: &AuthSettings,
        env: &Environment,
    ) -> Result<Self, AuthError> {
        let required = |key: &'static str| {
            profile.get(key).ok_or(AuthError::MissingKey {
                profile: profile.describe(),
                key,
                needs: NEEDS,
            })
        };
        let user = required("user")?;
        let tenancy = required("tenancy")?;
        let fingerprint = required("fingerprint")?;
        let region = settings.profile_region(profile, env, NEEDS)?;
        let key = profile_key(profile)?;
        if key.fingerprint() != fingerprint {
            // OCI will answer 401; say why before that happens.
            tracing::warn!(
                "{}: fingerprint {fingerprint} is not the fingerprint of key_file's key ({}); OCI will refuse the signatures",
                profile.describe(),
                key.fingerprint()
            );
        }
        Ok(ApiKey {
            principal: Principal {
                kind: AuthKind::ApiKey,
                tenancy: tenancy.to_owned(),
                region,
            },
            signer: Signer::new(format!("{tenancy}/{user}/{fingerprint}"), Arc::new(key)),
        })
    }
}

impl AuthProvider for ApiKey {
    fn principal(&self) -> &Principal {
        &self.principal
    }

    fn signer(&self) -> BoxFuture<'_, Result<Signer, AuthError>> {
        Box::pin(async { Ok(self.signer.clone()) })
    }
}
