//! Enumerating the rules a loaded engine defines, from the parsed modules.
//! Used to check the entry point exists and to discover `test_*` rules.
//!
//! Reads regorus' parsed AST (its `unstable` module); regorus is pinned to an
//! exact version in the workspace, so this cannot drift silently.

use regorus::unstable::{Parser, Rule, RuleHead};
use regorus::Engine;

/// One rule definition (a rule may have several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleInfo {
    /// Package components without the `data` root.
    pub package: Vec<String>,
    /// Head reference components (usually one name).
    pub head: Vec<String>,
    /// True for functions (`f(x) := ...`).
    pub is_function: bool,
    pub file: String,
    pub line: u32,
}

impl RuleInfo {
    /// Full components of the rule path under `data`.
    pub fn path(&self) -> Vec<String> {
        self.package
            .iter()
            .chain(self.head.iter())
            .cloned()
            .collect()
    }

    /// A `test_*` rule: a non-function rule whose name starts with `test_`.
    pub fn is_test(&self) -> bool {
        !self.is_function
            && self.head.len() == 1
            && self.head.first().is_some_and(|n| n.starts_with("test_"))
    }
}

/// Every rule definition of every module, in load order.
pub(crate) fn list_rules(engine: &mut Engine) -> Result<Vec<RuleInfo>, String> {
    let packages = engine
        .get_policy_package_components()
        .map_err(|e| e.to_string())?;
    let modules = engine.get_modules().clone();
    let mut rules = Vec::new();
    for (module, package) in modules.iter().zip(packages) {
        for rule in &module.policy {
            let (refr, is_function) = match rule.as_ref() {
                Rule::Spec { head, .. } => match head {
                    RuleHead::Compr { refr, .. } | RuleHead::Set { refr, .. } => (refr, false),
                    RuleHead::Func { refr, .. } => (refr, true),
                },
                Rule::Default { refr, args, .. } => (refr, !args.is_empty()),
            };
            let head = Parser::get_path_ref_components(refr)
                .map_err(|e| e.to_string())?
                .iter()
                .map(|span| unquote(span.text()))
                .collect();
            rules.push(RuleInfo {
                package: package.components.clone(),
                head,
                is_function,
                file: package.source_file.clone(),
                line: rule.span().line,
            });
        }
    }
    Ok(rules)
}

fn unquote(text: &str) -> String {
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_string())
    } else {
        text.to_string()
    }
}

/// The query path (`data.a.b["c d"]`) that evaluates a rule.
pub(crate) fn query_path(components: &[String]) -> String {
    let mut path = String::from("data");
    for component in components {
        if is_identifier(component) {
            path.push('.');
            path.push_str(component);
        } else {
            path.push('[');
            path.push_str(&serde_json::Value::String(component.clone()).to_string());
            path.push(']');
        }
    }
    path
}

/// Human name of a rule path, as `opa test` prints it: `data.pkg.test_x`.
pub(crate) fn display_path(components: &[String]) -> String {
    query_path(components)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_path_brackets_non_identifiers() {
        let parts = vec!["a".to_string(), "b c".to_string(), "d".to_string()];
        assert_eq!(query_path(&parts), r#"data.a["b c"].d"#);
    }

    #[test]
    fn lists_tests_and_functions() {
        let mut engine = Engine::new();
        engine
            .add_policy(
                "x.rego".to_string(),
                "package x.y\n\nallow if true\n\ntest_one if allow\n\nf(a) := a\n".to_string(),
            )
            .unwrap();
        let rules = list_rules(&mut engine).unwrap();
        let names: Vec<_> = rules
            .iter()
            .map(|r| (r.path(), r.is_test(), r.is_function, r.line))
            .collect();
        assert_eq!(
            names,
            vec![
                (
                    vec!["x".into(), "y".into(), "allow".into()],
                    false,
                    false,
                    3
                ),
                (
                    vec!["x".into(), "y".into(), "test_one".into()],
                    true,
                    false,
                    5
                ),
                (vec!["x".into(), "y".into(), "f".into()], false, true, 7),
            ]
        );
    }
}
