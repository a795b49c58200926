use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::cli::{is_setting, spellings, Spelling};
use super::*;

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("replimap-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn toml_file(name: &str, text: &str) -> PathBuf {
    let file = scratch(name).join("portal.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// What a config amounts to, secret included (its `Debug` hides it).
fn fingerprint(c: &Config) -> String {
    let secret = match &c.arm {
        ArmMode::Live { credential: CredentialKind::ClientSecret { secret, .. }, .. } => secret.secret(),
        _ => "",
    };
    let oidc = c.auth.oidc.as_ref().map_or("", |o| o.client_secret.secret());
    format!("{c:?} oidc={oidc} secret={secret}")
}

#[test]
fn cargo_leptos_site_address_is_the_lowest_layer() {
    let (c, _) = Config::load(&env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:3100")]), &[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:3100");
    let (c, _) = Config::load(&env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:3100"), ("REPLIMAP_PORT", "3200")]), &[]).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:3200");
    let file = toml_file("site", "listen = \"127.0.0.1:3300\"\n");
    let (c, _) =
        Config::load(&env(&[("LEPTOS_SITE_ADDR", "127.0.0.1:3100"), ("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[])
            .unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:3300", "the file beats LEPTOS_SITE_ADDR");
}

#[test]
fn no_credentials_means_the_emulator() {
    let (c, _) = Config::load(&env(&[("REPLIMAP_PORT", "8123")]), &[]).unwrap();
    assert_eq!(c.listen.port(), 8123);
    assert!(matches!(c.arm, ArmMode::Emulator { .. }));
}

#[test]
fn layers_apply_in_order_file_env_flags() {
    let file = toml_file(
        "layers",
        "listen = \"127.0.0.1:4000\"\nsubscriptions = [\"00000000-0000-0000-0000-000000000001\"]\nsurprise = 1\n[poll]\nfast_ms = 250\nslow_ms = 5000\nturbo = true\n[arm]\ncredential = \"managed_identity\"\nendpoint = \"https://management.chinacloudapi.cn\"\n",
    );
    let e = env(&[("REPLIMAP_POLL_SLOW_MS", "7000"), ("REPLIMAP_TYPO", "x")]);
    let (c, warnings) =
        Config::load(&e, &args(&["--config", file.to_str().unwrap(), "--port", "4001", "--poll-fast-ms=300"])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:4001");
    assert_eq!(c.poll.fast, Duration::from_millis(300), "flag beats file");
    assert_eq!(c.poll.slow, Duration::from_millis(7000), "env beats file");
    assert_eq!(c.subscriptions.len(), 1);
    match c.arm {
        ArmMode::Live { endpoint, credential: CredentialKind::ManagedIdentity { .. }, .. } => {
            assert_eq!(endpoint.url().as_str(), "https://management.chinacloudapi.cn/")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(warnings.iter().any(|w| w.contains("'surprise'")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("'poll.turbo'")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("REPLIMAP_TYPO")), "{warnings:?}");
    assert_eq!(warnings.len(), 3, "{warnings:?}");
}

#[test]
fn a_flag_beats_the_environment_and_the_last_flag_wins() {
    let e = env(&[("REPLIMAP_PORT", "5000"), ("REPLIMAP_LISTEN", "127.0.0.2:1")]);
    let (c, _) = Config::load(&e, &args(&["--port", "5001", "--port=5002"])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.2:5002");
}

#[test]
fn blank_environment_values_count_as_unset() {
    let (c, warnings) = Config::load(
        &env(&[
            ("REPLIMAP_TILE_URL", ""),
            ("REPLIMAP_LISTEN", "  "),
            ("REPLIMAP_CREDENTIAL", ""),
            ("AZURE_CLIENT_SECRET", ""),
        ]),
        &[],
    )
    .unwrap();
    assert_eq!(fingerprint(&c), fingerprint(&Config::emulator_defaults()));
    assert!(warnings.is_empty(), "{warnings:?}");
}

#[test]
fn toml_lists_are_arrays_or_comma_separated_and_values_are_typed() {
    let file = toml_file(
        "lists",
        "registries = \"a, b,,\"\nresource_groups = [\"rg1\", \" rg2 \"]\n[http]\nallowed_hosts = []\n",
    );
    let (c, _) = Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap();
    assert_eq!(c.filter.registries, ["a", "b"]);
    assert_eq!(c.filter.resource_groups, ["rg1", "rg2"]);
    assert!(c.allowed_hosts.is_empty());

    let file = toml_file("typed", "[poll]\nfast_ms = \"fast\"\n");
    let err = Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap_err().to_string();
    assert!(err.contains("config file") && err.contains("fast_ms") && err.contains("invalid type"), "{err}");
    let file = toml_file("typed-list", "subscriptions = [\"nope\"]\n");
    let err = Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap_err().to_string();
    assert!(err.contains("subscription id"), "{err}");
    let file = toml_file("secret-in-file", "[arm]\ncredential = \"emulator\"\nclient_secret = \"s\"\n");
    let (_, warnings) = Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap();
    assert!(warnings.iter().any(|w| w.contains("prefer arm.client_secret_file")), "{warnings:?}");
    let err = Config::load(&env(&[("REPLIMAP_CONFIG", "/nonexistent/replimap.toml")]), &[]).unwrap_err().to_string();
    assert!(err.contains("/nonexistent/replimap.toml"), "{err}");
}

#[test]
fn secrets_come_from_files_and_never_print() {
    let file = scratch("secret").join("secret");
    std::fs::write(&file, "s3cr3t-value\n").unwrap();
    let e = env(&[
        ("REPLIMAP_CREDENTIAL", "client_secret"),
        ("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000000aa"),
        ("AZURE_CLIENT_ID", "app"),
        ("AZURE_CLIENT_SECRET", "from-env"),
        ("AZURE_CLIENT_SECRET_FILE", file.to_str().unwrap()),
    ]);
    let (c, _) = Config::load(&e, &[]).unwrap();
    let printed = format!("{c:?}");
    assert!(printed.contains("ClientSecret"));
    assert!(!printed.contains("s3cr3t"));
    assert!(fingerprint(&c).ends_with("secret=s3cr3t-value"), "the file beats the variable");
    let err = Config::load(&e, &args(&["--client-secret", "x"])).unwrap_err().to_string();
    assert!(err.contains("'--client-secret'"), "no flag for the secret itself: {err}");
}

#[test]
fn bad_values_are_reported_by_name() {
    let err = Config::load(&env(&[("REPLIMAP_CREDENTIAL", "magic")]), &[]).unwrap_err().to_string();
    assert!(err.contains("REPLIMAP_CREDENTIAL") && err.contains("magic"), "{err}");
    let err = Config::load(&env(&[("REPLIMAP_SUBSCRIPTIONS", "nope")]), &[]).unwrap_err().to_string();
    assert!(err.contains("subscription id"), "{err}");
    let err = Config::load(&env(&[("REPLIMAP_POLL_FAST_MS", "soon")]), &[]).unwrap_err().to_string();
    assert!(err.starts_with("REPLIMAP_POLL_FAST_MS: invalid value 'soon'"), "{err}");
    let err = Config::load(&env(&[]), &args(&["--bogus", "1"])).unwrap_err();
    let clap = err.downcast_ref::<clap::Error>().expect("a clap error, for main to print");
    assert_eq!(clap.kind(), clap::error::ErrorKind::UnknownArgument);
    assert!(err.to_string().contains("'--bogus'"), "{err}");
    let err = Config::load(&env(&[("REPLIMAP_CREDENTIAL", "client_secret")]), &[]).unwrap_err();
    assert!(err.to_string().contains("needs"), "{err}");
    let err = Config::load(&env(&[("REPLIMAP_POLL_SLOW_MS", "0")]), &[]).unwrap_err();
    assert!(err.to_string().contains("poll.slow_ms must be at least 100"), "{err}");
}

#[test]
fn help_is_a_clap_error_for_main_to_print() {
    for flag in ["-h", "--help"] {
        let err = Config::load(&env(&[]), &args(&[flag])).unwrap_err();
        let clap = err.downcast_ref::<clap::Error>().unwrap();
        assert_eq!(clap.kind(), clap::error::ErrorKind::DisplayHelp, "{flag}");
    }
}

#[test]
fn the_arm_endpoint_is_checked_for_a_real_credential_only() {
    let live = |endpoint: &str| {
        Config::load(&env(&[("REPLIMAP_CREDENTIAL", "azure_cli"), ("REPLIMAP_ARM_ENDPOINT", endpoint)]), &[])
    };
    let err = live("http://localhost.evil.example").unwrap_err().to_string();
    assert!(err.contains("must use https"), "{err}");
    let (c, _) = live("http://127.0.0.1:3101").unwrap();
    assert!(matches!(c.arm, ArmMode::Live { endpoint, .. } if endpoint.url().port() == Some(3101)));
    let (c, _) = Config::load(&env(&[("REPLIMAP_CREDENTIAL", "azure_cli")]), &[]).unwrap();
    assert!(matches!(c.arm, ArmMode::Live { endpoint, .. } if endpoint.as_str() == "https://management.azure.com/"));
    // With the emulator chosen, an endpoint is never used, so it is not checked.
    let (c, _) = Config::load(
        &env(&[("REPLIMAP_CREDENTIAL", "emulator"), ("REPLIMAP_ARM_ENDPOINT", "http://localhost.evil.example")]),
        &[],
    )
    .unwrap();
    assert!(matches!(c.arm, ArmMode::Emulator { .. }));
}

#[test]
fn a_misspelt_credential_fails_listing_the_kinds_in_every_spelling() {
    let kinds = ["emulator", "managed_identity", "workload_identity", "client_secret", "azure_cli"];
    let listed = |err: &str| kinds.iter().all(|k| err.contains(k));
    let by_env = Config::load(&env(&[("REPLIMAP_CREDENTIAL", "managed-identity")]), &[]).unwrap_err().to_string();
    assert!(by_env.contains("REPLIMAP_CREDENTIAL") && listed(&by_env), "{by_env}");
    let by_flag = Config::load(&env(&[]), &args(&["--credential", "azurecli"])).unwrap_err();
    let clap = by_flag.downcast_ref::<clap::Error>().expect("a clap error, for main to print");
    let shown = clap.render().to_string();
    assert!(shown.contains("azurecli") && listed(&shown), "{shown}");
    let file = toml_file("misspelt", "[arm]\ncredential = \"ManagedIdentity\"\n");
    let by_file = format!("{:#}", Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap_err());
    assert!(by_file.contains("ManagedIdentity") && listed(&by_file), "{by_file}");
}

#[test]
fn sign_in_settings_without_a_credential_stop_start_up() {
    let file = scratch("implicit").join("secret");
    std::fs::write(&file, "s").unwrap();
    let ca = scratch("implicit").join("ca.pem");
    std::fs::write(&ca, "").unwrap();
    let (file, ca) = (file.to_str().unwrap(), ca.to_str().unwrap());
    let cases: &[(&str, &str, &str)] = &[
        ("AZURE_TENANT_ID", "00000000-0000-0000-0000-0000000000aa", "arm.tenant_id (AZURE_TENANT_ID)"),
        ("AZURE_CLIENT_ID", "app", "arm.client_id (AZURE_CLIENT_ID)"),
        ("AZURE_CLIENT_SECRET", "s", "arm.client_secret (AZURE_CLIENT_SECRET)"),
        ("AZURE_CLIENT_SECRET_FILE", file, "arm.client_secret_file"),
        ("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us", "arm.authority_host"),
        ("REPLIMAP_ARM_ENDPOINT", "https://management.usgovcloudapi.net", "arm.endpoint"),
        ("REPLIMAP_CA_BUNDLE", ca, "arm.ca_bundle"),
    ];
    for (var, value, named) in cases {
        let err = Config::load(&env(&[(var, value)]), &[]).unwrap_err().to_string();
        assert!(err.contains(named) && err.contains("set arm.credential") && err.contains("emulator"), "{var}: {err}");
        assert!(err.contains("managed_identity") && err.contains("azure_cli"), "{err}");
        // Saying so explicitly keeps the emulator.
        let (c, _) = Config::load(&env(&[(var, value), ("REPLIMAP_CREDENTIAL", "emulator")]), &[]).unwrap();
        assert!(matches!(c.arm, ArmMode::Emulator { .. }), "{var}");
    }
    let file = toml_file("implicit-toml", "[arm]\ntenant_id = \"t\"\n");
    let err = Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap_err().to_string();
    assert!(err.contains("arm.tenant_id"), "{err}");
    let err = Config::load(&env(&[]), &args(&["--client-id", "x"])).unwrap_err().to_string();
    assert!(err.contains("arm.client_id"), "{err}");
    // No setting at all: the emulator, as for a first run.
    let (c, _) = Config::load(&env(&[]), &[]).unwrap();
    assert!(matches!(c.arm, ArmMode::Emulator { .. }));
}

#[test]
fn http_settings_are_checked() {
    let (c, _) = Config::load(&env(&[]), &[]).unwrap();
    assert_eq!(c.http.header_timeout, Duration::from_secs(10));
    assert_eq!(c.http.request_timeout, Duration::from_secs(60));
    assert_eq!((c.http.max_connections, c.http.max_body_bytes), (20_000, 65_536));
    assert_eq!((c.http.max_streams, c.http.max_streams_per_identity), (20_000, 200));
    assert!(c.http.public_url.is_none() && c.http.metrics_token.is_none());
    for (var, value, want) in [
        ("REPLIMAP_HTTP_HEADER_TIMEOUT_SECS", "0", "http.header_timeout_secs must be at least 1"),
        ("REPLIMAP_HTTP_REQUEST_TIMEOUT_SECS", "0", "http.request_timeout_secs must be at least 1"),
        ("REPLIMAP_HTTP_MAX_CONNECTIONS", "0", "http.max_connections must be at least 1"),
        ("REPLIMAP_HTTP_MAX_BODY_BYTES", "100", "http.max_body_bytes must be at least 1024"),
        ("REPLIMAP_HTTP_MAX_STREAMS", "0", "http.max_streams must be at least 1"),
        ("REPLIMAP_HTTP_MAX_STREAMS_PER_IDENTITY", "0", "http.max_streams_per_identity must be at least 1"),
        ("REPLIMAP_HTTP_PUBLIC_URL", "https://replimap.example.com/portal", "origin only"),
        ("REPLIMAP_HTTP_PUBLIC_URL", "https://admin:pw@replimap.example.com", "user name or password"),
        ("REPLIMAP_HTTP_PUBLIC_URL", "ftp://replimap.example.com", "http(s)"),
        ("REPLIMAP_HTTP_METRICS_TOKEN_FILE", "/nonexistent/token", "/nonexistent/token"),
    ] {
        let err = Config::load(&env(&[(var, value)]), &[]).unwrap_err().to_string();
        assert!(err.contains(want), "{var}={value}: {err}");
        assert!(!err.contains("pw@"), "a password in the URL is not echoed: {err}");
    }
    let dir = scratch("metrics-token");
    let token = dir.join("token");
    std::fs::write(&token, "  s3cret-token\n").unwrap();
    let (c, _) = Config::load(&env(&[("REPLIMAP_HTTP_METRICS_TOKEN_FILE", token.to_str().unwrap())]), &[]).unwrap();
    assert_eq!(c.http.metrics_token.as_ref().map(|t| t.secret().to_owned()).as_deref(), Some("s3cret-token"));
    assert!(!format!("{c:?}").contains("s3cret"), "the token never prints");
    std::fs::write(&token, " \n").unwrap();
    let err = Config::load(&env(&[("REPLIMAP_HTTP_METRICS_TOKEN_FILE", token.to_str().unwrap())]), &[]).unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
}

#[test]
fn map_settings_are_checked() {
    let (c, _) = Config::load(&env(&[]), &[]).unwrap();
    assert_eq!(c.ui, UiSettings::default());
    let (c, _) = Config::load(
        &env(&[("REPLIMAP_TILE_URL", "https://tiles.example/{z}/{x}/{y}.png"), ("REPLIMAP_STUCK_AFTER_SECS", "90")]),
        &args(&["--tile-attribution", "© Example"]),
    )
    .unwrap();
    assert_eq!(c.ui.tile_url.as_deref(), Some("https://tiles.example/{z}/{x}/{y}.png"));
    assert_eq!(c.ui.tile_attribution.as_deref(), Some("© Example"));
    assert_eq!(c.ui.stuck_after_secs, 90);
    let err = Config::load(&env(&[("REPLIMAP_TILE_URL", "https://tiles.example/{z}/{x}.png")]), &[]).unwrap_err();
    assert!(err.to_string().contains("lacks {y}"), "{err}");
    let err = Config::load(&env(&[("REPLIMAP_TILE_URL", "javascript:alert(1)/{z}/{x}/{y}")]), &[]).unwrap_err();
    assert!(err.to_string().contains("http(s)"), "{err}");
    let err = Config::load(&env(&[("REPLIMAP_STUCK_AFTER_SECS", "0")]), &[]).unwrap_err();
    assert!(err.to_string().contains("at least 1"), "{err}");
    let (c, _) = Config::load(&env(&[("REPLIMAP_HEARTBEAT_SECS", "2")]), &[]).unwrap();
    assert_eq!(c.ui.heartbeat_secs, 2);
    let err = Config::load(&env(&[("REPLIMAP_HEARTBEAT_SECS", "90")]), &[]).unwrap_err();
    assert!(err.to_string().contains("between 1 and 30"), "{err}");
    let file = toml_file("tiles", "[ui]\ntile_url = \"ftp://x/{z}/{x}/{y}\"\n");
    let err = Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).unwrap_err();
    assert!(format!("{err:#}").contains("http(s)"), "{err:#}");
}

/// How a sample value is written in TOML.
#[derive(Clone, Copy)]
enum Toml {
    Str,
    Int,
    Bool,
    List,
}

/// Each setting, spelled as a TOML key, its variable and its flag, lands in the same place.
#[test]
fn every_setting_means_the_same_in_all_three_spellings() {
    let dir = scratch("spellings");
    let secret_file = dir.join("secret");
    std::fs::write(&secret_file, "from-file").unwrap();
    let seed_file = dir.join("seed.json");
    std::fs::write(&seed_file, serde_json::to_string(&Seed::empty()).unwrap()).unwrap();
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n").unwrap();
    let data_dir = dir.join("data");
    let token_file = dir.join("metrics-token");
    std::fs::write(&token_file, "metrics-token").unwrap();
    let token_file = token_file.to_str().unwrap();
    let (secret_file, seed_file) = (secret_file.to_str().unwrap(), seed_file.to_str().unwrap());
    let (ca_file, data_dir) = (ca_file.to_str().unwrap(), data_dir.to_str().unwrap());
    // A client-secret login in the file, for the `arm.*` settings to show in.
    let live =
        "arm.credential = \"client_secret\"\narm.tenant_id = \"t\"\narm.client_id = \"c\"\narm.client_secret = \"s\"\n";
    let proxy = "auth.mode = \"proxy\"\nauth.proxy.trusted_proxies = [\"127.0.0.1\"]\n";
    let oidc = "auth.mode = \"oidc\"\nauth.oidc.issuer = \"https://login.example/t/v2.0\"\n\
                auth.oidc.client_id = \"c\"\nauth.oidc.client_secret = \"s\"\n";
    let samples: &[(&str, &str, Toml, &str)] = &[
        ("listen", "127.0.0.1:4100", Toml::Str, ""),
        ("port", "4101", Toml::Int, ""),
        ("subscriptions", "00000000-0000-0000-0000-000000000001", Toml::List, ""),
        ("resource_groups", "rg1", Toml::List, ""),
        ("registries", "reg1", Toml::List, ""),
        ("http.allowed_hosts", "portal.example.com", Toml::List, ""),
        ("http.public_url", "https://replimap.example.com", Toml::Str, ""),
        ("http.header_timeout_secs", "5", Toml::Int, ""),
        ("http.request_timeout_secs", "30", Toml::Int, ""),
        ("http.max_connections", "100", Toml::Int, ""),
        ("http.max_body_bytes", "4096", Toml::Int, ""),
        ("http.max_streams", "50", Toml::Int, ""),
        ("http.max_streams_per_identity", "5", Toml::Int, ""),
        ("http.metrics_token_file", token_file, Toml::Str, ""),
        ("arm.credential", "azure_cli", Toml::Str, ""),
        ("arm.endpoint", "https://management.usgovcloudapi.net", Toml::Str, live),
        ("arm.tenant_id", "tenant-x", Toml::Str, live),
        ("arm.client_id", "client-x", Toml::Str, live),
        ("arm.client_secret_file", secret_file, Toml::Str, live),
        ("arm.authority_host", "https://login.microsoftonline.us", Toml::Str, live),
        ("arm.ca_bundle", ca_file, Toml::Str, live),
        ("data_dir", data_dir, Toml::Str, ""),
        ("database.url", "postgres://replimap@db.example/replimap", Toml::Str, ""),
        ("database.busy_timeout_ms", "250", Toml::Int, ""),
        ("audit.retention_days", "30", Toml::Int, ""),
        ("poll.fast_ms", "250", Toml::Int, ""),
        ("poll.slow_ms", "5000", Toml::Int, ""),
        ("emulator.delay_ms", "10", Toml::Int, ""),
        ("emulator.listen", "127.0.0.1:4102", Toml::Str, ""),
        ("emulator.seed", seed_file, Toml::Str, ""),
        ("ui.tile_url", "https://t.example/{z}/{x}/{y}.png", Toml::Str, ""),
        ("ui.tile_attribution", "attr", Toml::Str, ""),
        ("ui.stuck_after_secs", "60", Toml::Int, ""),
        ("ui.heartbeat_secs", "5", Toml::Int, ""),
        ("coverage.enabled", "false", Toml::Bool, ""),
        ("coverage.interval_secs", "120", Toml::Int, ""),
        ("coverage.fill_parallelism", "2", Toml::Int, ""),
        ("coverage.prices_url", "https://prices.example/api/retail/prices", Toml::Str, ""),
        ("auth.mode", "proxy", Toml::Str, "auth.proxy.trusted_proxies = [\"127.0.0.1\"]\n"),
        // Off loopback, which local mode refuses unless allowed.
        ("auth.allow_remote_local", "true", Toml::Bool, ""),
        ("auth.session_idle_minutes", "5", Toml::Int, ""),
        ("auth.session_max_hours", "2", Toml::Int, ""),
        ("auth.proxy.trusted_proxies", "10.0.0.0/8", Toml::List, proxy),
        ("auth.proxy.preset", "easy-auth", Toml::Str, proxy),
        ("auth.proxy.user_header", "x-user", Toml::Str, proxy),
        ("auth.proxy.email_header", "x-mail", Toml::Str, proxy),
        ("auth.proxy.groups_header", "x-groups", Toml::Str, proxy),
        ("auth.proxy.roles_header", "x-roles", Toml::Str, proxy),
        ("auth.oidc.issuer", "https://login.example/t2/v2.0", Toml::Str, oidc),
        ("auth.oidc.client_id", "client-2", Toml::Str, oidc),
        ("auth.oidc.client_secret_file", secret_file, Toml::Str, oidc),
        ("auth.oidc.scopes", "openid", Toml::List, oidc),
        ("auth.oidc.roles_claim", "app_roles", Toml::Str, oidc),
        ("auth.oidc.groups_claim", "grp", Toml::Str, oidc),
        ("auth.oidc.redirect_url", "https://replimap.example.com/auth/callback", Toml::Str, oidc),
        ("auth.oidc.act_as_user", "true", Toml::Bool, oidc),
        ("auth.oidc.user_scope", "api://x/y", Toml::Str, oidc),
        ("auth.oidc.obo_token_url", "https://login.example/t/oauth2/v2.0/token", Toml::Str, oidc),
        ("auth.oidc.ca_bundle", ca_file, Toml::Str, oidc),
        ("rbac.default", "viewer", Toml::Str, ""),
    ];
    let all = spellings();
    let keys: BTreeSet<&str> = all.iter().map(|s| s.key.as_str()).filter(|k| is_setting(k)).collect();
    assert_eq!(keys, samples.iter().map(|s| s.0).collect::<BTreeSet<_>>(), "a sample for every setting");

    let load_with = |toml: &str, e: &[(&str, &str)], a: &[&str]| {
        let file = dir.join("sample.toml");
        std::fs::write(&file, toml).unwrap();
        let mut e = env(e);
        e.insert("REPLIMAP_CONFIG".into(), file.to_str().unwrap().into());
        let (c, warnings) = Config::load(&e, &args(a)).unwrap_or_else(|err| panic!("{toml} {e:?} {a:?}: {err:#}"));
        assert!(warnings.iter().all(|w| w.contains("client_secret in a config file")), "{warnings:?}");
        fingerprint(&c)
    };
    for &(key, value, kind, context) in samples {
        let spelling = all.iter().find(|s| s.key == key).unwrap();
        let literal = match kind {
            Toml::Str => toml::Value::String(value.into()),
            Toml::Int => toml::Value::Integer(value.parse().unwrap()),
            Toml::Bool => toml::Value::Boolean(value.parse().unwrap()),
            Toml::List => toml::Value::Array(vec![toml::Value::String(value.into())]),
        };
        let before = load_with(context, &[], &[]);
        // In the file the sample replaces the context's own line for the key; the variable
        // and the flag override that line.
        let others: String =
            context.lines().filter(|l| !l.starts_with(&format!("{key} "))).map(|l| format!("{l}\n")).collect();
        let by_file = load_with(&format!("{others}{key} = {literal}\n"), &[], &[]);
        let by_env = load_with(context, &[(spelling.env.as_deref().unwrap(), value)], &[]);
        let flag = format!("--{}", spelling.flag.as_deref().unwrap());
        let by_flag = load_with(context, &[], &[&flag, value]);
        assert_ne!(before, by_file, "{key} = {literal} changes nothing");
        assert_eq!(by_file, by_env, "{key} and {:?} differ", spelling.env);
        assert_eq!(by_file, by_flag, "{key} and {flag} differ");
    }
}

/// The README table's rows as (TOML key, variable, flag); `—` in the key column is `config`.
fn readme_table() -> Vec<Spelling> {
    let readme = include_str!("../../../README.md");
    let section = &readme[readme.find("## Using it against Azure").unwrap()..];
    let header = "| TOML key | environment | flag | meaning |";
    let table = &section[section.find(header).unwrap() + header.len()..];
    let ticked = |cell: &str| -> Vec<String> { cell.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let mut rows = Vec::new();
    for line in table.lines().skip(2).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (mut keys, vars, flags) = (ticked(cells[1]), ticked(cells[2]), ticked(cells[3]));
        if cells[1] == "—" {
            keys = vec!["config".into()];
        }
        assert!(keys.len() == vars.len() && vars.len() == flags.len(), "README row with uneven columns: {line}");
        for ((key, env), flag) in keys.into_iter().zip(vars).zip(flags) {
            let flag = flag.strip_prefix("--").unwrap_or_else(|| panic!("README flag {flag} lacks --")).to_owned();
            rows.push(Spelling { key, env: Some(env), flag: Some(flag) });
        }
    }
    rows
}

/// The README table is checked, not generated: its rows must be exactly the command's
/// settings (same key, variable and flag on one row), and the rendered help must show every
/// variable and flag of the table and no `REPLIMAP_*` or flag that the table lacks.
#[test]
fn readme_settings_table_matches_the_help() {
    let table = readme_table();
    let key = |s: &Spelling| (s.key.clone(), s.env.clone(), s.flag.clone());
    let from_readme: BTreeSet<_> = table.iter().map(key).collect();
    let from_command: BTreeSet<_> = spellings().iter().filter(|s| s.key != "help").map(key).collect();
    assert_eq!(from_readme.len(), table.len(), "a README row repeats a setting");
    assert_eq!(from_readme, from_command, "README table (left) against the clap command (right)");

    let help = usage();
    for row in &table {
        let (var, flag) = (row.env.as_deref().unwrap(), row.flag.as_deref().unwrap());
        assert!(help.contains(&format!("[env: {var}]")), "--help lacks {var}");
        assert!(help.contains(&format!("--{flag} <")), "--help lacks --{flag}");
        if is_setting(&row.key) {
            assert!(help.contains(&format!("[toml: {}]", row.key)), "--help lacks the key {}", row.key);
        }
    }
    let words = |prefix: &str| -> BTreeSet<String> {
        help.match_indices(prefix)
            .map(|(i, _)| {
                help[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || "_-".contains(*c)).collect::<String>()
            })
            .filter(|w| w.len() > prefix.len())
            .collect()
    };
    for var in words("REPLIMAP_") {
        assert!(table.iter().any(|r| r.env.as_deref() == Some(var.as_str())), "README table lacks {var}");
    }
    for flag in words("--").into_iter().filter(|f| f != "--help") {
        assert!(table.iter().any(|r| r.flag.as_deref() == Some(&flag[2..])), "README table lacks {flag}");
    }
}

/// `load` sees only the map it is given: run this file's `child_ignores_the_process_environment`
/// in a child process whose environment sets a setting of every kind.
#[test]
fn the_process_environment_is_not_read() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "config::tests::child_ignores_the_process_environment", "--ignored"])
        .env("REPLIMAP_PORT", "9999")
        .env("REPLIMAP_CREDENTIAL", "azure_cli")
        .env("REPLIMAP_STUCK_AFTER_SECS", "7")
        .env("REPLIMAP_CONFIG", "/nonexistent/replimap.toml")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the child saw the process environment: {stdout}");
    assert!(stdout.contains("1 passed"), "the child test did not run: {stdout}");
}

#[test]
#[ignore = "run by the_process_environment_is_not_read, in a child process"]
fn child_ignores_the_process_environment() {
    let (c, warnings) = Config::load(&env(&[]), &[]).unwrap();
    assert_eq!(fingerprint(&c), fingerprint(&Config::emulator_defaults()));
    assert!(warnings.is_empty());
}

#[test]
fn sign_in_settings_are_checked_before_anything_starts() {
    let load = |text: &str| {
        let file = toml_file("auth", text);
        Config::load(&env(&[("REPLIMAP_CONFIG", file.to_str().unwrap())]), &[]).map(|(c, _)| c)
    };
    let err = |text: &str| format!("{:#}", load(text).unwrap_err());
    // Local mode off loopback: refused, saying how to configure sign-in; allowed only explicitly.
    let e = err("listen = \"0.0.0.0:3000\"\n");
    assert!(e.contains("not a loopback address") && e.contains("auth.mode = \"proxy\"") && e.contains("oidc"), "{e}");
    assert!(load("listen = \"0.0.0.0:3000\"\n[auth]\nallow_remote_local = true\n").unwrap().auth.allow_remote_local);
    // Proxy mode believes no one by default.
    let e = err("[auth]\nmode = \"proxy\"\n");
    assert!(e.contains("trusted_proxies"), "{e}");
    let e = err("[auth]\nmode = \"proxy\"\n[auth.proxy]\ntrusted_proxies = [\"10.0.0.300\"]\n");
    assert!(e.contains("not an address or a CIDR"), "{e}");
    let e = err("[auth]\nmode = \"proxy\"\n[auth.proxy]\ntrusted_proxies = [\"10.0.0.0/8\"]\npreset = \"custom\"\n");
    assert!(e.contains("user_header"), "{e}");
    let c = load("listen = \"0.0.0.0:3000\"\n[auth]\nmode = \"proxy\"\n[auth.proxy]\ntrusted_proxies = \"10.0.0.0/8, 127.0.0.1\"\n")
        .unwrap();
    assert_eq!(c.auth.proxy.unwrap().trusted.len(), 2);
    // OIDC needs its provider, client and secret, over https (http only on loopback).
    let e = err("[auth]\nmode = \"oidc\"\n");
    assert!(e.contains("auth.oidc.issuer"), "{e}");
    let e = err("[auth]\nmode = \"oidc\"\n[auth.oidc]\nissuer = \"http://login.example/t\"\nclient_id = \"c\"\nclient_secret = \"s\"\n");
    assert!(e.contains("must be https"), "{e}");
    let e = err("[auth]\nmode = \"oidc\"\n[auth.oidc]\nissuer = \"https://login.example/t\"\nclient_id = \"c\"\n");
    assert!(e.contains("client secret"), "{e}");
    // Bindings name exactly one subject, a known role and patterns that can match.
    let e = err("[[rbac.bind]]\nrole = \"operator\"\n");
    assert!(e.contains("exactly one of user, group or claim"), "{e}");
    let e = err("[[rbac.bind]]\ngroup = \"ops\"\nrole = \"owner\"\n");
    assert!(e.contains("'owner' is not a role"), "{e}");
    let e = err("[[rbac.bind]]\ngroup = \"ops\"\nrole = \"viewer\"\nregistries = [\"/tenants/x\"]\n");
    assert!(e.contains("not an ARM id pattern"), "{e}");
    let e = err("[[rbac.bind]]\ngroup = \"ops\"\nrole = \"viewer\"\nrealm = \"x\"\n");
    assert!(e.contains("realm"), "{e}");
    let c =
        load("[rbac]\ndefault = \"viewer\"\n[[rbac.bind]]\nuser = \"Ann@Example.com\"\nrole = \"admin\"\n").unwrap();
    assert_eq!(c.auth.default_role, Some(replimap_types::Role::Viewer));
    assert_eq!(c.auth.bindings[0].subject, crate::config::Subject::User("ann@example.com".into()));
    assert_eq!(c.auth.bindings[0].registries, ["*"]);
}
