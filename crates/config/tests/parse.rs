#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
use behavry_config::{parse, UpstreamTransportConfig};
use std::path::Path;

#[test]
fn minimal_file_gets_defaults() {
    let cfg = parse("", Path::new("/etc/behavry")).unwrap();
    assert_eq!(cfg.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(cfg.admin.listen.to_string(), "127.0.0.1:8081");
    assert_eq!(cfg.server.data_dir, Path::new("/etc/behavry/data"));
    assert_eq!(cfg.policy.dir, Path::new("/etc/behavry/policies"));
    assert_eq!(cfg.approvals.timeout.as_secs(), 300);
    assert!(cfg.upstreams.is_empty());
}

#[test]
fn upstreams_of_both_transports() {
    let text = r#"
        [[upstreams]]
        name = "database"
        command = "behavry-demo-server"
        args = ["--profile", "database"]
        env = { DB_TOKEN = "${env:DB_TOKEN}" }

        [[upstreams]]
        name = "remote"
        url = "http://127.0.0.1:3001/mcp"
        headers = { Authorization = "Bearer ${env:REMOTE}" }
    "#;
    let err = parse(text, Path::new(".")).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    assert!(err.problems[0].contains("malformed"), "{err}");

    let text = text.replace("Bearer ${env:REMOTE}", "${env:REMOTE}");
    let cfg = parse(&text, Path::new(".")).unwrap();
    assert_eq!(cfg.upstreams.len(), 2);
    assert!(
        matches!(&cfg.upstreams[0].transport, UpstreamTransportConfig::Stdio { command, .. } if command == "behavry-demo-server")
    );
    assert!(
        matches!(&cfg.upstreams[1].transport, UpstreamTransportConfig::Http { url, .. } if url.ends_with("/mcp"))
    );
}

#[test]
fn every_problem_is_reported_together() {
    let text = r#"
        [server]
        listen = "nowhere"
        [trace]
        arguments = "some"
        [approvals]
        timeout_secs = 0
        [[upstreams]]
        name = "Bad.Name"
        command = "x"
        [[upstreams]]
        name = "dup"
        url = "ftp://x"
        [[upstreams]]
        name = "both"
        command = "x"
        url = "http://x"
    "#;
    let err = parse(text, Path::new(".")).unwrap_err();
    let all = err.to_string();
    for needle in [
        "server.listen",
        "trace.arguments",
        "approvals.timeout_secs",
        "Bad.Name",
        "(dup): url must start",
        "not both",
    ] {
        assert!(all.contains(needle), "missing `{needle}` in:\n{all}");
    }
    assert!(err.problems.len() >= 6);
}

#[test]
fn unknown_fields_and_duplicate_names_are_rejected() {
    let err = parse("[server]\nlisten_addr = \"x\"\n", Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("listen_addr"), "{err}");
    let text = "[[upstreams]]\nname='a'\ncommand='x'\n[[upstreams]]\nname='a'\ncommand='y'\n";
    let err = parse(text, Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("used twice"), "{err}");
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = parse(&text, Path::new("."));
    }

    #[test]
    fn upstream_name_rule(name in "[a-z0-9][a-z0-9_-]{0,31}") {
        proptest::prop_assert!(behavry_config::valid_upstream_name(&name));
        let dotted = format!("{name}.x");
        proptest::prop_assert!(!behavry_config::valid_upstream_name(&dotted));
    }
}

#[test]
fn trace_durability_setting() {
    assert!(parse("", Path::new(".")).unwrap().trace.fsync);
    assert!(
        !parse("[trace]\ndurability = \"os-buffered\"\n", Path::new("."))
            .unwrap()
            .trace
            .fsync
    );
    let err = parse("[trace]\ndurability = \"never\"\n", Path::new(".")).unwrap_err();
    assert!(err.to_string().contains("trace.durability"), "{err}");
}

#[test]
fn trace_checkpoint_settings() {
    let defaults = parse("", Path::new(".")).unwrap().trace;
    assert_eq!(
        (defaults.checkpoint_every, defaults.checkpoint_every_records),
        (std::time::Duration::from_secs(10), 4096)
    );
    let set = parse(
        "[trace]\ncheckpoint_every_secs = 60\ncheckpoint_every_records = 100\n",
        Path::new("."),
    )
    .unwrap()
    .trace;
    assert_eq!(
        (set.checkpoint_every, set.checkpoint_every_records),
        (std::time::Duration::from_secs(60), 100)
    );
    for bad in ["checkpoint_every_secs = 0", "checkpoint_every_records = 0"] {
        let err = parse(&format!("[trace]\n{bad}\n"), Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("trace.checkpoint_every"), "{err}");
    }
}
