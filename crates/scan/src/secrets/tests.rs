use super::*;

fn rules_hit(text: &str) -> Vec<String> {
    let scanner = SecretScanner::with_rules(None).unwrap();
    let mut out = Vec::new();
    scanner.scan(text, None, &mut out);
    out.into_iter().map(|f| f.rule).collect()
}

#[test]
fn provider_formats_are_found() {
    let cases = [
        ("aws_access_key_id: AKIAQPVEIK4BY52DYY6B", "aws-access-key-id"),
        ("github_token: ghp_DbEF2RMr1WmRQxhrRpyaybAG9PxTHqSMuM5T", "github-token"),
        ("{\"GITLAB_TOKEN\": \"glpat-6VhYDheN5uYNw8gtoH9Z\"}", "gitlab-token"),
        ("SLACK_BOT_TOKEN=xoxb-154622653445-101065046190-nOp6nqAFRbr0tJp02CBFAyGc", "slack-token"),
        ("STRIPE_SECRET_KEY=sk_live_kiSTJ6AvGb6KJQQaBYyfSk6WAoCXiSukfHU6xbdAVr", "stripe-secret-key"),
        ("sendgrid_api_key: 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", "sendgrid-api-key"),
        ("DATABASE_URL=postgres://app:yMyKCjb4QMPrRwXW@db.internal:5432/app", "url-credentials"),
        ("authorization: Basic YWRtaW46SmF1SEhsNFZvNzV6", "basic-auth"),
        ("authorization: Bearer ahJEzPBGig0nG9j1zP4V9E1a1oqfa-XHcy4WrWW0EMUjmUY3", "bearer-token"),
        ("export DB_PASSWORD=\"hsbWhJa985OuqT\"", "generic-assignment"),
        ("Here is the db password you asked for: p@ssW0rd-mlgifA", "generic-phrase"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEpQIBAAKCAQEAn6/O8li+SX4m98LLYt/PKSzEmQ++ZBD7Loh9P13f4yQ92EF3\n-----END RSA PRIVATE KEY-----", "private-key"),
    ];
    for (text, rule) in cases {
        let hits = rules_hit(text);
        assert!(hits.contains(&rule.to_string()), "{text}: {hits:?}");
    }
}

#[test]
fn look_alikes_are_not_secrets() {
    let cases = [
        "{\"aws_secret_access_key\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"}",
        "curl -H \"Authorization: Bearer fb306aa1709d0e2349f9c92c05f0182a009ebd54756ed2c7069478f4e4fdc944\"",
        "request_id = \"d6314460-0ea0-4a4c-aef7-024f9a559b67\"",
        "export traceparent=\"00-917e8b061e058c82bb043553cf0e194b-1f95a4b4308bbdb2-01\"",
        "stripe_publishable_key = \"pk_live_RqPU8A3GudbV2Zhet9xrbqOW\"",
        "OPENAI_API_KEY=<YOUR_API_KEY>",
        "curl -H \"Authorization: Bearer ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
        "DB_PASSWORD={{ vault_db_password }}",
        "DB_PASSWORD=$(cat /run/secrets/db_password)",
        "password_hint = \"Passwords must be at least 12 characters and include a number.\"",
        "export integrity=\"sha512-Y3hlY0Xj+QzeDIHG8qF9DnmkbQLUcS4X93lVancDQkSluOWa3g4iseuQE7pxfHhHPTMPFywJilcub8pPec4Zq4==\"",
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
        "-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----",
        "key_length = XSalsa20.key_length",
        "version=2.6.28-rc2+67cf94d",
    ];
    for text in cases {
        assert!(rules_hit(text).is_empty(), "{text}: {:?}", rules_hit(text));
    }
}

#[test]
fn key_rules_use_the_json_key() {
    let scanner = SecretScanner::with_rules(None).unwrap();
    let mut out = Vec::new();
    scanner.scan("Summer2024!Secure", Some("DB_PASSWORD"), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule, "secret-named-key");
    assert_eq!(out[0].span.map(|s| (s.start, s.end)), Some((0, 17)));
    out.clear();
    scanner.scan("Summer2024!Secure", Some("greeting"), &mut out);
    assert!(out.is_empty());
}

#[test]
fn evidence_is_redacted() {
    let scanner = SecretScanner::with_rules(None).unwrap();
    let mut out = Vec::new();
    let secret = "ghp_DbEF2RMr1WmRQxhrRpyaybAG9PxTHqSMuM5T";
    scanner.scan(&format!("token {secret}"), None, &mut out);
    assert_eq!(out.len(), 1);
    assert!(!out[0].evidence.contains(&secret[4..30]));
    assert!(out[0].evidence.contains("(40 chars)"));
}

#[test]
fn entropy_is_bits_per_char() {
    assert_eq!(entropy(""), 0.0);
    assert_eq!(entropy("aaaa"), 0.0);
    assert!((entropy("abcd") - 2.0).abs() < 1e-9);
}
