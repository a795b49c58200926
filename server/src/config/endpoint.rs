//! The ARM base URL: the one place a bearer token is sent.

use std::fmt;
use std::net::IpAddr;
use std::ops::Deref;
use std::str::FromStr;

use url::{Host, Url};

/// Why an ARM endpoint was refused.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL at all (not echoed: it may hold a secret pasted by mistake).
    #[error("arm.endpoint is not a URL: {0}")]
    Invalid(url::ParseError),
    /// A URL with a user name or password in it: a secret in configuration that ARM never needs.
    #[error("arm.endpoint must not carry a user name or password")]
    Credentials,
    /// A scheme or host that would expose the token.
    #[error("arm.endpoint '{0}' must use https (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost)")]
    Insecure(String),
}

/// An ARM base URL that may receive a bearer token: `https`, or `http` to a loopback host
/// (127.0.0.0/8, `::1`, or a host named exactly `localhost`) for local ARM fakes. Decided on
/// the parsed host, so `http://localhost.evil.example` is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmEndpoint(Url);

impl ArmEndpoint {
    /// Checks `url`'s scheme against its host.
    pub fn new(url: Url) -> Result<Self, EndpointError> {
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointError::Credentials);
        }
        let loopback = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            Some(Host::Domain(name)) => name == "localhost",
            None => false,
        };
        match url.scheme() {
            "https" if url.host().is_some() => Ok(Self(url)),
            "http" if loopback => Ok(Self(url)),
            _ => Err(EndpointError::Insecure(url.to_string())),
        }
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl FromStr for ArmEndpoint {
    type Err = EndpointError;

    fn from_str(s: &str) -> Result<Self, EndpointError> {
        Self::new(Url::parse(s).map_err(EndpointError::Invalid)?)
    }
}

/// The URL text, which is what `replimap_arm::ArmClient::new` takes.
impl Deref for ArmEndpoint {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for ArmEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_the_url_are_refused_and_never_echoed() {
        for url in ["https://user:hunter2@management.azure.com", "https://user@management.azure.com"] {
            let err = url.parse::<ArmEndpoint>().unwrap_err().to_string();
            assert!(err.contains("user name or password") && !err.contains("hunter2"), "{err}");
        }
        let err = "https://user:hunter2@[bad".parse::<ArmEndpoint>().unwrap_err().to_string();
        assert!(!err.contains("hunter2"), "{err}");
    }

    fn refused(url: &str) -> String {
        let err = url.parse::<ArmEndpoint>().expect_err(url).to_string();
        assert!(err.contains("must use https") && err.contains("loopback"), "{url}: {err}");
        err
    }

    #[test]
    fn a_localhost_prefix_is_not_loopback() {
        // The host is `localhost.evil.example`, a name anyone can point anywhere.
        let err = refused("http://localhost.evil.example");
        assert!(err.contains("'http://localhost.evil.example/'"), "{err}");
        refused("http://localhost.evil.example:80/");
        refused("http://localhost./");
    }

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        for ok in ["https://management.azure.com", "http://127.0.0.1:3101", "http://localhost:1234"] {
            let e: ArmEndpoint = ok.parse().unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(e.url(), &Url::parse(ok).unwrap());
        }
        refused("ftp://x");
        for ok in ["http://127.8.9.10", "http://[::1]:3101", "http://LOCALHOST:1"] {
            assert!(ok.parse::<ArmEndpoint>().is_ok(), "{ok}");
        }
        refused("http://10.0.0.1");
        refused("http://[::ffff:127.0.0.1]");
        assert_eq!(&*"https://management.azure.com".parse::<ArmEndpoint>().unwrap(), "https://management.azure.com/");
        assert!(matches!("not a url".parse::<ArmEndpoint>(), Err(EndpointError::Invalid(..))));
    }
}
