//! The synthetic organisation: roles, their working hours and the tools
//! each role uses, with resources, destinations and typical volumes.

/// Where a tool's resources come from.
#[derive(Debug, Clone, Copy)]
pub enum Resources {
    None,
    /// One of a fixed list (tables, metrics, services).
    Pick(&'static [&'static str]),
    /// `<root>/<dir>/<file>`: the agent works in a few of the dirs.
    Paths {
        roots: &'static [&'static str],
        dirs: &'static [&'static str],
        files: u32,
    },
    /// `<prefix><id>` with ids spread over `count`: almost every call is a
    /// different object (customer records, tickets).
    Ids {
        prefix: &'static str,
        count: u32,
    },
}

/// Where a tool sends to.
#[derive(Debug, Clone, Copy)]
pub enum Hosts {
    None,
    Pick(&'static [&'static str]),
    /// `customer-<n>.example` with n spread over `count`: new hosts are normal.
    Many {
        stem: &'static str,
        count: u32,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct ToolSpec {
    pub tool: &'static str,
    pub weight: f64,
    pub resources: Resources,
    pub hosts: Hosts,
    /// Median result volume per call (rows or bytes); `None`: not reported.
    pub volume: Option<f64>,
    /// Resources that are sensitive when read (`["*"]`: all of them).
    pub sensitive: &'static [&'static str],
    pub outbound: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct RoleSpec {
    pub role: &'static str,
    pub agent_stem: &'static str,
    /// Range of usual start hours (local) and of working-day lengths.
    pub start: (u32, u32),
    pub length: (u32, u32),
    /// Chance of a short session on a weekend day.
    pub weekend: f64,
    /// Share of the daytime rate kept at night (round-the-clock roles).
    pub night: f64,
    /// A scheduled job: (hour, calls) every night.
    pub nightly: Option<(u32, u32)>,
    pub calls_per_hour: f64,
    pub tools: &'static [ToolSpec],
}

const fn tool(
    tool: &'static str,
    weight: f64,
    resources: Resources,
    volume: Option<f64>,
) -> ToolSpec {
    ToolSpec {
        tool,
        weight,
        resources,
        hosts: Hosts::None,
        volume,
        sensitive: &[],
        outbound: false,
    }
}

const TABLES: &[&str] = &[
    "sales",
    "orders",
    "products",
    "inventory",
    "customers",
    "payments",
    "web_events",
    "marketing_spend",
    "regions",
    "suppliers",
    "returns",
    "forecasts",
];

pub const ROLES: &[RoleSpec] = &[
    RoleSpec {
        role: "analyst",
        agent_stem: "data-analyst",
        start: (7, 9),
        length: (9, 10),
        weekend: 0.04,
        night: 0.0,
        nightly: None,
        calls_per_hour: 10.0,
        tools: &[
            ToolSpec {
                sensitive: &["customers", "payments"],
                ..tool("database.query", 0.55, Resources::Pick(TABLES), Some(800.0))
            },
            tool("database.list_tables", 0.05, Resources::None, Some(12.0)),
            tool(
                "files.read",
                0.15,
                Resources::Paths {
                    roots: &["/data/reports", "/data/exports"],
                    dirs: &["2025", "2026", "weekly", "adhoc", "finance", "growth"],
                    files: 40,
                },
                Some(50_000.0),
            ),
            tool(
                "files.write",
                0.1,
                Resources::Paths {
                    roots: &["/data/reports"],
                    dirs: &["2026", "weekly", "adhoc"],
                    files: 40,
                },
                None,
            ),
            ToolSpec {
                hosts: Hosts::Pick(&["dashboards.internal", "wiki.internal"]),
                ..tool("http.get", 0.1, Resources::None, Some(20_000.0))
            },
            ToolSpec {
                hosts: Hosts::Pick(&["corp.example"]),
                outbound: true,
                ..tool("email.send", 0.05, Resources::None, None)
            },
        ],
    },
    RoleSpec {
        role: "writer",
        agent_stem: "content-writer",
        start: (8, 10),
        length: (7, 9),
        weekend: 0.1,
        night: 0.0,
        nightly: None,
        calls_per_hour: 6.0,
        tools: &[
            tool(
                "files.read",
                0.3,
                Resources::Paths {
                    roots: &["/docs"],
                    dirs: &["drafts", "published", "style", "briefs", "assets"],
                    files: 60,
                },
                Some(12_000.0),
            ),
            tool(
                "files.write",
                0.25,
                Resources::Paths {
                    roots: &["/docs"],
                    dirs: &["drafts", "published"],
                    files: 60,
                },
                None,
            ),
            tool("web.search", 0.25, Resources::None, Some(10.0)),
            ToolSpec {
                hosts: Hosts::Pick(&[
                    "en.wikipedia.org",
                    "docs.python.org",
                    "news.example.com",
                    "arxiv.org",
                    "github.com",
                    "developer.mozilla.org",
                ]),
                ..tool("http.get", 0.15, Resources::None, Some(60_000.0))
            },
            ToolSpec {
                hosts: Hosts::Pick(&["corp.example", "editors.example"]),
                outbound: true,
                ..tool("email.send", 0.05, Resources::None, None)
            },
        ],
    },
    RoleSpec {
        role: "support",
        agent_stem: "support-agent",
        start: (6, 10),
        length: (8, 10),
        weekend: 0.3,
        night: 0.0,
        nightly: None,
        calls_per_hour: 14.0,
        tools: &[
            ToolSpec {
                sensitive: &["*"],
                ..tool(
                    "crm.get_customer",
                    0.35,
                    Resources::Ids {
                        prefix: "customer/",
                        count: 20_000,
                    },
                    Some(3_000.0),
                )
            },
            tool(
                "crm.update_ticket",
                0.25,
                Resources::Ids {
                    prefix: "ticket/",
                    count: 50_000,
                },
                None,
            ),
            tool("kb.search", 0.2, Resources::None, Some(5.0)),
            ToolSpec {
                hosts: Hosts::Many {
                    stem: "customer",
                    count: 3_000,
                },
                outbound: true,
                ..tool("email.send", 0.2, Resources::None, None)
            },
        ],
    },
    RoleSpec {
        role: "ops",
        agent_stem: "ops-agent",
        start: (7, 9),
        length: (10, 12),
        weekend: 0.6,
        night: 0.12,
        nightly: Some((2, 6)),
        calls_per_hour: 5.0,
        tools: &[
            tool(
                "metrics.query",
                0.4,
                Resources::Pick(&[
                    "cpu",
                    "memory",
                    "disk",
                    "latency_p99",
                    "errors",
                    "queue_depth",
                    "saturation",
                ]),
                Some(2_000.0),
            ),
            tool(
                "logs.search",
                0.25,
                Resources::Paths {
                    roots: &["/var/log"],
                    dirs: &["api", "web", "worker", "db", "cache", "gateway"],
                    files: 20,
                },
                Some(100_000.0),
            ),
            tool(
                "deploy.status",
                0.2,
                Resources::Pick(&["api", "web", "worker", "db", "cache"]),
                Some(40.0),
            ),
            ToolSpec {
                hosts: Hosts::Pick(&["status.internal", "grafana.internal"]),
                ..tool("http.get", 0.1, Resources::None, Some(15_000.0))
            },
            ToolSpec {
                hosts: Hosts::Pick(&["pager.example"]),
                outbound: true,
                ..tool("pager.notify", 0.05, Resources::None, None)
            },
        ],
    },
];

/// Tools no role uses in normal work (privilege and exfiltration tools).
pub const FOREIGN_TOOLS: &[&str] = &[
    "shell.exec",
    "secrets.read",
    "admin.grant_role",
    "database.export",
];

/// Volume of a foreign tool's result when an anomaly calls one.
pub const FOREIGN_VOLUME: f64 = 20_000.0;
