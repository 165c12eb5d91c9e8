//! ServiceAccount tokens: the emulator issues random bearer tokens and remembers which
//! ServiceAccount each one names, as the apiserver's TokenRequest and token authenticator do
//! together. Not signed JWTs and not secure: a token is unguessable by accident only, lives
//! as long as the emulator and never expires.

use std::collections::HashMap;
use std::sync::Mutex;

use super::rbac::User;

/// Tokens issued by one emulator, and whether it enforces RBAC on the users they name.
#[derive(Debug, Default)]
pub struct Tokens {
    enforce_rbac: bool,
    issued: Mutex<HashMap<String, (String, String)>>,
}

/// What the `Authorization` header of a request says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// No credentials: the cluster administrator of the emulator's own kubeconfig.
    Admin,
    ServiceAccount(User),
    /// A bearer token this emulator did not issue; answered with 401.
    Unknown,
}

impl Tokens {
    pub fn new(enforce_rbac: bool) -> Tokens {
        Tokens {
            enforce_rbac,
            issued: Mutex::default(),
        }
    }

    pub fn enforce_rbac(&self) -> bool {
        self.enforce_rbac
    }

    /// A new token that authenticates as `system:serviceaccount:{namespace}:{name}`.
    pub fn issue(&self, namespace: &str, name: &str) -> String {
        let token = format!(
            "framefarm-emulator.{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        self.lock()
            .insert(token.clone(), (namespace.to_owned(), name.to_owned()));
        token
    }

    /// The identity behind an `Authorization` header value, or behind its absence.
    pub fn identify(&self, authorization: Option<&str>) -> Identity {
        let Some(value) = authorization else {
            return Identity::Admin;
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim);
        match token.and_then(|token| self.lock().get(token).cloned()) {
            Some((namespace, name)) => {
                Identity::ServiceAccount(User::service_account(&namespace, &name))
            }
            None => Identity::Unknown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (String, String)>> {
        // A panic while holding the map leaves it intact; keep serving.
        self.issued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_issued_token_names_its_service_account_and_others_are_unknown() {
        let tokens = Tokens::new(true);
        let token = tokens.issue("farm", "framefarm-agent");
        assert_eq!(
            tokens.identify(Some(&format!("Bearer {token}"))),
            Identity::ServiceAccount(User::service_account("farm", "framefarm-agent"))
        );
        assert_eq!(tokens.identify(None), Identity::Admin);
        assert_eq!(
            tokens.identify(Some("Bearer framefarm-emulator.forged")),
            Identity::Unknown
        );
        assert_ne!(token, tokens.issue("farm", "framefarm-agent"));
    }
}
