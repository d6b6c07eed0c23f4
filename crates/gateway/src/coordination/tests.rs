#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;

#[test]
fn messages_have_a_stable_wire_format() {
    let cases = [
        (
            Event::Heartbeat {
                policy_revision: "r1".into(),
            },
            r#"{"from":"x","event":"heartbeat","policy_revision":"r1"}"#,
        ),
        (Event::Controls, r#"{"from":"x","event":"controls"}"#),
        (Event::Agents, r#"{"from":"x","event":"agents"}"#),
        (
            Event::Approval { id: "ap1".into() },
            r#"{"from":"x","event":"approval","id":"ap1"}"#,
        ),
        (Event::Revocations, r#"{"from":"x","event":"revocations"}"#),
        (
            Event::ToolPin {
                upstream: "u".into(),
                tool: "t".into(),
            },
            r#"{"from":"x","event":"tool_pin","upstream":"u","tool":"t"}"#,
        ),
    ];
    for (event, wire) in cases {
        let message = Message {
            from: "x".into(),
            event: event.clone(),
        };
        assert_eq!(serde_json::to_string(&message).unwrap(), wire);
        let back: Message = serde_json::from_str(wire).unwrap();
        assert_eq!(back.event, event);
    }
}

#[test]
fn heartbeats_come_several_times_per_bound() {
    for (bound_ms, beat_ms) in [(500, 100), (1_000, 200), (10_000, 2_000), (300_000, 2_000)] {
        let c = Coordination::new(&CoordinationSettings {
            channel: None,
            stale_after: Duration::from_millis(bound_ms),
        });
        assert_eq!(c.heartbeat_every(), Duration::from_millis(beat_ms));
    }
}

#[test]
fn a_peer_revision_change_is_reported_once() {
    let c = Coordination::new(&CoordinationSettings::default());
    assert!(c.saw_peer("p", "r1"));
    assert!(!c.saw_peer("p", "r1"));
    assert!(c.saw_peer("p", "r2"));
    let peers = c.status().peers;
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].policy_revision, "r2");
}
