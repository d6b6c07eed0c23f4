#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The `[admin]` settings of the console: public origin and session lifetimes.

use behavry_config::parse;
use std::path::Path;

#[test]
fn console_session_defaults_and_overrides() {
    let cfg = parse("", Path::new(".")).unwrap();
    assert_eq!(cfg.admin.public_url, None);
    assert_eq!(cfg.admin.session_idle.as_secs(), 1800);
    assert_eq!(cfg.admin.session_max.as_secs(), 43_200);
    let cfg = parse(
        "[admin]\npublic_url = \"https://behavry.example.com/\"\nsession_idle_secs = 600\nsession_max_secs = 3600\n",
        Path::new("."),
    )
    .unwrap();
    assert_eq!(
        cfg.admin.public_url.as_deref(),
        Some("https://behavry.example.com")
    );
    assert_eq!(cfg.admin.session_idle.as_secs(), 600);
    assert_eq!(cfg.admin.session_max.as_secs(), 3600);
}

#[test]
fn bad_console_settings_are_reported() {
    for (text, needle) in [
        (
            "[admin]\npublic_url = \"behavry.example.com\"",
            "admin.public_url",
        ),
        (
            "[admin]\npublic_url = \"https://h/console\"",
            "admin.public_url",
        ),
        ("[admin]\npublic_url = \"ftp://h\"", "admin.public_url"),
        ("[admin]\nsession_idle_secs = 5", "admin.session_idle_secs"),
        (
            "[admin]\nsession_max_secs = 99999999",
            "admin.session_max_secs",
        ),
    ] {
        let err = parse(text, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains(needle), "{text}: {err}");
    }
}
