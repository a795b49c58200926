//! An identity: who is asking, as the mode that recognised them describes them.

use serde::{Deserialize, Serialize};

/// Where an identity came from. Stored inside sessions, so its serde form is a contract with
/// sessions already in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// The one local user (local mode).
    Local,
    /// A trusted reverse proxy's headers.
    Proxy,
    /// A cookie session from an OpenID Connect sign-in.
    Session,
    /// An API token in `Authorization: Bearer`.
    Token {
        /// The token's public id.
        id: String,
    },
    /// A device session a wall screen got for an API token.
    Device {
        /// The token it was enrolled with.
        token_id: String,
    },
}

impl Source {
    /// The kind alone: `local`, `proxy`, `session`, `token`, `device`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Proxy => "proxy",
            Self::Session => "session",
            Self::Token { .. } => "token",
            Self::Device { .. } => "device",
        }
    }

    /// The API token behind the identity, if any.
    pub fn token_id(&self) -> Option<&str> {
        match self {
            Self::Token { id } | Self::Device { token_id: id } => Some(id),
            _ => None,
        }
    }

    /// The form the audit trail records: the kind, with the token id (`token:ab12cd`).
    pub fn label(&self) -> String {
        match self.token_id() {
            Some(id) => format!("{}:{id}", self.kind()),
            None => self.kind().to_owned(),
        }
    }
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The name the audit trail records (a user name, an e-mail, `token:<id>`, `local`).
    pub actor: String,
    /// A name to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The e-mail address, when known (bindings may name users by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the identity came from.
    pub source: Source,
    /// Groups, as the proxy or provider named them.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Role claims (Entra app roles), as given.
    #[serde(default)]
    pub roles: Vec<String>,
    /// What the person should know about the identity (a group overage).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl Identity {
    /// The local user.
    pub fn local() -> Self {
        Self {
            actor: "local".into(),
            display_name: None,
            email: None,
            source: Source::Local,
            groups: Vec::new(),
            roles: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// An API token's identity (`token:<id>`, shown with the token's name).
    pub fn token(id: &str, name: &str, device: bool) -> Self {
        let source =
            if device { Source::Device { token_id: id.to_owned() } } else { Source::Token { id: id.to_owned() } };
        Self { actor: format!("token:{id}"), display_name: Some(name.to_owned()), source, ..Self::local() }
    }
}
