//! IAM identity-policy evaluation: decides whether identity-based policies, optionally capped by a permissions
//! boundary, allow one request, following the evaluation rules of the AWS IAM User Guide.
//!
//! Scope: one account, identity-based policies and an optional permissions boundary only (no SCPs, resource
//! policies or session policies). Anything the IAM User Guide leaves undefined or contradictory is refused with
//! `Err` rather than guessed; each rule below cites the User Guide page it comes from.
//!
//! Sources (AWS IAM User Guide, https://docs.aws.amazon.com/IAM/latest/UserGuide/ + page), cited by title below:
//! - "Policy evaluation logic": reference_policies_evaluation-logic.html
//! - "The difference between explicit and implicit denies":
//!   reference_policies_evaluation-logic_AccessPolicyLanguage_Interplay.html
//! - "Permissions boundaries for IAM entities": access_policies_boundaries.html
//! - "Grammar of the IAM JSON policy language": reference_policies_grammar.html
//! - "IAM JSON policy elements: Action" / "NotAction" / "Resource" / "NotResource":
//!   reference_policies_elements_action.html, ..._notaction.html, ..._resource.html, ..._notresource.html
//! - "IAM JSON policy elements: Condition operators" (sections String, Numeric, Date, Boolean, IP address, ARN,
//!   ...IfExists, Null check): reference_policies_elements_condition_operators.html
//! - "Conditions with multiple context keys or values":
//!   reference_policies_condition-logic-multiple-context-keys-or-values.html
//! - "Single-valued vs. multivalued context keys":
//!   reference_policies_condition-single-vs-multi-valued-context-keys.html
//! - "Multivalued context key examples": reference_policies_condition_examples-multi-valued-context-keys.html
//! - "Creating a condition with multiple keys or values": reference_policies_multi-value-conditions.html
//! - "IAM policy elements: Variables and tags": reference_policies_variables.html
//! - "IAM: Add a specific tag with specific values": reference_policies_examples_iam-add-tag-user-role.html
//!
//! Context conventions: condition key names are matched case-insensitively; a key mapped to an empty `Vec` is
//! treated as absent (the "empty data set" of the multivalued-key docs); a key with several values is a
//! multivalued key.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde_json::{Map, Value};

/// One authorization AWS performs: an action on one resource with its request context.
pub struct Request<'a> {
    /// The action, e.g. `"ec2:RunInstances"`.
    pub action: &'a str,
    /// The resource ARN, or `"*"` for actions that do not support resource-level permissions.
    pub resource: &'a str,
    /// Condition keys (any case) to values; multivalued keys have several values.
    pub context: &'a BTreeMap<String, Vec<String>>,
}

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed by the statement with this Sid (or "#<index>" if it has no Sid) of the policy with this name.
    Allowed { policy: String, sid: String },
    /// No statement allows it.
    ImplicitDeny,
    /// An explicit Deny matched.
    ExplicitDeny { policy: String, sid: String },
}

/// A named policy document (serde_json::Value of the JSON document).
pub struct Policy {
    pub name: String,
    pub document: serde_json::Value,
}

/// Evaluates identity-based policies (same account, no SCPs, no resource policies, no session policies),
/// optionally capped by a permissions boundary: allowed only if the identity policies allow and the boundary
/// allows, and no explicit Deny in either.
///
/// Err for a document it cannot faithfully evaluate (unknown condition operator, malformed statement, a
/// Principal element in an identity policy, unsupported policy variable, wrong Version...) — never guess.
/// A statement whose applicability cannot be decided (e.g. an unparsable context value) makes the result Err
/// only when the decision depends on it.
pub fn evaluate(identity: &[Policy], boundary: Option<&Policy>, request: &Request) -> Result<Decision, String> {
    Parsed::new(identity, boundary)?.evaluate(request)
}

/// Policies parsed once, to evaluate many requests (the recorded drills make thousands).
pub struct Parsed {
    identity: Vec<ParsedPolicy>,
    boundary: Option<ParsedPolicy>,
}

impl Parsed {
    /// Parses everything first so a malformed document is an error whatever the request.
    pub fn new(identity: &[Policy], boundary: Option<&Policy>) -> Result<Parsed, String> {
        Ok(Parsed {
            identity: identity.iter().map(parse_policy).collect::<Result<Vec<_>, _>>()?,
            boundary: boundary.map(parse_policy).transpose()?,
        })
    }

    /// The decision on one request (see [`evaluate`]).
    pub fn evaluate(&self, request: &Request) -> Result<Decision, String> {
        let (identity, boundary) = (&self.identity, &self.boundary);
        // "Policy evaluation logic" / "The difference between explicit and implicit denies": an applicable Deny
        // trumps any Allow; "Permissions boundaries for IAM entities": an explicit deny in either policy type
        // overrides the allow.
        if let Some((policy, sid)) = first_applying(identity.iter().chain(boundary.iter()), Effect::Deny, request)? {
            return Ok(Decision::ExplicitDeny { policy, sid });
        }
        // Without an applicable Allow the request is implicitly denied (IAM principals are denied by default).
        let Some((policy, sid)) = first_applying(identity.iter(), Effect::Allow, request)? else {
            return Ok(Decision::ImplicitDeny);
        };
        // "Permissions boundaries for IAM entities": effective permissions are what both the identity-based
        // policies and the boundary allow; the boundary grants nothing on its own.
        let boundary_allows = match boundary {
            Some(boundary) => first_applying(std::iter::once(boundary), Effect::Allow, request)?.is_some(),
            None => true,
        };
        if !boundary_allows {
            return Ok(Decision::ImplicitDeny);
        }
        Ok(Decision::Allowed { policy, sid })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

struct ParsedPolicy {
    name: String,
    statements: Vec<Statement>,
}

struct Statement {
    sid: String,
    effect: Effect,
    not_action: bool,
    actions: Vec<Vec<Tok>>,
    not_resource: bool,
    resources: Vec<Template>,
    conditions: Vec<Condition>,
}

struct Condition {
    op: Operator,
    key: String,
    values: Vec<Template>,
}

/// A policy string split into literal text, escapes and policy variables.
type Template = Vec<Piece>;

#[derive(Debug, PartialEq)]
enum Piece {
    /// Literal policy text, in which `*` and `?` are wildcards where the element supports them.
    Text(String),
    /// `${*}`, `${?}` or `${$}`: a character that is never a wildcard.
    Escaped(char),
    /// `${key}` or `${key, 'default'}`.
    Var { key: String, default: Option<String> },
}

/// A pattern character after variable substitution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Lit(char),
    Star,
    One,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    StrEq,
    StrEqIgnoreCase,
    StrLike,
    Numeric(Cmp),
    Date(Cmp),
    Bool,
    Arn,
    Ip,
    Null,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SetOp {
    Single,
    ForAllValues,
    ForAnyValue,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Operator {
    base: Base,
    negated: bool,
    if_exists: bool,
    set: SetOp,
}

// ---------------------------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------------------------

/// The first statement with `effect` that applies, as (policy name, sid). An undecidable statement is an error
/// only if no other statement applies, because one applicable statement settles the question.
fn first_applying<'p>(
    policies: impl Iterator<Item = &'p ParsedPolicy>,
    effect: Effect,
    request: &Request,
) -> Result<Option<(String, String)>, String> {
    let mut undecided = None;
    for policy in policies {
        for statement in policy.statements.iter().filter(|s| s.effect == effect) {
            match statement_applies(statement, request) {
                Ok(true) => return Ok(Some((policy.name.clone(), statement.sid.clone()))),
                Ok(false) => {}
                Err(e) => {
                    undecided.get_or_insert(format!("policy {:?}, statement {}: {e}", policy.name, statement.sid));
                }
            }
        }
    }
    undecided.map_or(Ok(None), Err)
}

fn statement_applies(statement: &Statement, request: &Request) -> Result<bool, String> {
    // "IAM JSON policy elements: Action": prefix and action name are case-insensitive.
    let action = chars(&request.action.to_lowercase());
    let listed = statement.actions.iter().any(|p| glob(p, &action));
    // "IAM JSON policy elements: NotAction": matches everything except the listed actions.
    if listed == statement.not_action || !resource_matches(statement, request)? {
        return Ok(false);
    }
    all_conditions_hold(&statement.conditions, request)
}

fn resource_matches(statement: &Statement, request: &Request) -> Result<bool, String> {
    let target = chars(request.resource);
    let mut listed = false;
    for resource in &statement.resources {
        match resolve(resource, request.context)? {
            // "IAM JSON policy elements: Resource": case-sensitive; `*` and `?` wildcards, and a `*` may expand
            // across `/` and colon boundaries, so the whole ARN is matched as one glob.
            Some(pattern) if glob(&pattern, &target) => {
                listed = true;
                break;
            }
            Some(_) => {}
            // "IAM policy elements: Variables and tags": a variable whose key is not present makes any attempt to
            // match it fail. For NotResource the docs only say the statement "might" become invalid, so the
            // outcome is undefined: refuse.
            None if statement.not_resource => {
                return Err("NotResource uses a policy variable whose key is not in the request context".into());
            }
            None => {}
        }
    }
    // "IAM JSON policy elements: NotResource": matches every resource except the listed ones.
    Ok(listed != statement.not_resource)
}

/// "Conditions with multiple context keys or values": operators are ANDed and keys within an operator are ANDed,
/// so every condition must hold. A false condition settles it even if another is undecidable.
fn all_conditions_hold(conditions: &[Condition], request: &Request) -> Result<bool, String> {
    let mut undecided = None;
    for condition in conditions {
        match condition_holds(condition, request) {
            Ok(true) => {}
            Ok(false) => return Ok(false),
            Err(e) => {
                undecided.get_or_insert(format!("condition {:?} on {:?}: {e}", condition.op, condition.key));
            }
        }
    }
    undecided.map_or(Ok(true), Err)
}

fn condition_holds(condition: &Condition, request: &Request) -> Result<bool, String> {
    let op = condition.op;
    let present = lookup(request.context, &condition.key)?;
    if op.base == Base::Null {
        return null_holds(condition, present.is_some());
    }
    let Some(values) = present else {
        return Ok(absent_key_result(op));
    };
    let patterns = policy_values(condition, request.context)?;
    let results = values
        .iter()
        .map(|v| value_matches(op, v, &patterns))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(match op.set {
        // "Multivalued context key examples": ForAllValues needs every request value to match some policy value.
        SetOp::ForAllValues => results.iter().all(|m| *m),
        // ForAnyValue needs at least one request value to match.
        SetOp::ForAnyValue => results.iter().any(|m| *m),
        // "Single-valued vs. multivalued context keys" only says multivalued keys *require* a set operator; what a
        // plain operator does with several request values is undocumented. Chosen: it holds if any value matches
        // (the same as ForAnyValue). With one value this is the ordinary documented comparison.
        SetOp::Single => results.iter().any(|m| *m),
    })
}

/// The result of a condition whose key is absent (or has an empty value list).
fn absent_key_result(op: Operator) -> bool {
    match op.set {
        // "Multivalued context key examples": ForAllValues returns true when the key is missing or resolves to
        // an empty data set (the documented pitfall). "Creating a condition with multiple keys or values": with
        // an empty data set ForAnyValue returns false.
        SetOp::ForAllValues => true,
        SetOp::ForAnyValue => false,
        // "IAM JSON policy elements: Condition operators": an absent key makes the condition false, except that
        // a negated operator (StringNotLike, ArnNotLike, ...) is true, and ...IfExists is true.
        SetOp::Single => op.if_exists || op.negated,
    }
}

/// "Condition operators", Null check: `true` means the key is absent, `false` means it is present; several
/// policy values are ORed like any other condition values.
fn null_holds(condition: &Condition, present: bool) -> Result<bool, String> {
    for value in &condition.values {
        if parse_bool(&literal_text(value))? != present {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The condition's policy values after variable substitution.
fn policy_values(condition: &Condition, context: &BTreeMap<String, Vec<String>>) -> Result<Vec<Vec<Tok>>, String> {
    let mut patterns = Vec::new();
    for value in &condition.values {
        match resolve(value, context)? {
            Some(pattern) => patterns.push(pattern),
            // A value whose variable has no key equals and is like nothing, which is decisive for positive
            // operators. For negated operators the docs only say the statement "might" be invalid: refuse.
            None if condition.op.negated => {
                return Err("a negated operator uses a policy variable whose key is not in the context".into());
            }
            None => {}
        }
    }
    Ok(patterns)
}

/// One request value against the policy values: "Conditions with multiple context keys or values" — several
/// values for one key are ORed, and for a negated operator they are NORed.
fn value_matches(op: Operator, value: &str, patterns: &[Vec<Tok>]) -> Result<bool, String> {
    for pattern in patterns {
        if base_matches(op.base, pattern, value)? {
            return Ok(!op.negated);
        }
    }
    Ok(op.negated)
}

/// The positive (non-negated) comparison of one request value with one policy value.
fn base_matches(base: Base, pattern: &[Tok], value: &str) -> Result<bool, String> {
    // "IAM JSON policy elements: Condition operators" for each family.
    Ok(match base {
        // Exact matching, case sensitive; `*` and `?` are ordinary characters here.
        Base::StrEq => flatten(pattern) == value,
        Base::StrEqIgnoreCase => flatten(pattern).to_lowercase() == value.to_lowercase(),
        // Case-sensitive matching with `*` and `?` anywhere in the string.
        Base::StrLike => glob(pattern, &chars(value)),
        // ArnEquals and ArnLike behave identically: each colon-delimited component is matched separately.
        Base::Arn => arn_matches(pattern, value)?,
        Base::Numeric(cmp) => compare(cmp, parse_number(value)?, parse_number(&flatten(pattern))?),
        Base::Date(cmp) => compare(cmp, parse_date(value)?, parse_date(&flatten(pattern))?),
        Base::Bool => parse_bool(value)? == parse_bool(&flatten(pattern))?,
        Base::Ip => ip_in_block(value, &flatten(pattern))?,
        Base::Null => return Err("internal: Null is evaluated by null_holds".into()),
    })
}

fn compare<T: PartialOrd>(cmp: Cmp, request: T, policy: T) -> bool {
    match cmp {
        Cmp::Eq => request == policy,
        Cmp::Lt => request < policy,
        Cmp::Le => request <= policy,
        Cmp::Gt => request > policy,
        Cmp::Ge => request >= policy,
    }
}

/// "IAM JSON policy elements: Condition operators" (ARN): each of the six colon-delimited components is checked
/// separately, so `*` never crosses a colon except inside the final resource component.
fn arn_matches(pattern: &[Tok], value: &str) -> Result<bool, String> {
    let segments = split_arn_pattern(pattern);
    if segments.len() != 6 {
        return Err(format!(
            "ARN condition value {:?} does not have six colon-delimited components",
            flatten(pattern)
        ));
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 {
        return Ok(false);
    }
    Ok(segments.iter().zip(&parts).all(|(p, v)| glob(p, &chars(v))))
}

/// Splits a pattern at its first five literal colons; the sixth component keeps any further colons.
fn split_arn_pattern(pattern: &[Tok]) -> Vec<&[Tok]> {
    let mut segments = Vec::new();
    let mut rest = pattern;
    while segments.len() < 5 {
        let Some(at) = rest.iter().position(|t| *t == Tok::Lit(':')) else {
            break;
        };
        segments.push(&rest[..at]);
        rest = &rest[at + 1..];
    }
    segments.push(rest);
    segments
}

/// Wildcard matching: `Star` matches any run of characters (including `:` and `/`), `One` exactly one.
fn glob(pattern: &[Tok], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(Tok::Star) => {
                backtrack = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => (p, t) = (p + 1, t + 1),
            Some(Tok::Lit(c)) if *c == text[t] => (p, t) = (p + 1, t + 1),
            _ => match backtrack {
                // Let the last star absorb one more character and retry.
                Some((star, start)) => {
                    backtrack = Some((star, start + 1));
                    (p, t) = (star + 1, start + 1);
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|tok| *tok == Tok::Star)
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

/// The pattern as plain text, for operators in which wildcards have no meaning.
fn flatten(pattern: &[Tok]) -> String {
    pattern
        .iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Star => '*',
            Tok::One => '?',
        })
        .collect()
}

/// The text of a template that cannot contain variables (operators that do not take them).
fn literal_text(template: &Template) -> String {
    template
        .iter()
        .map(|piece| match piece {
            Piece::Text(t) => t.clone(),
            Piece::Escaped(c) => c.to_string(),
            Piece::Var { key, .. } => format!("${{{key}}}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------------------------
// Context and policy variables
// ---------------------------------------------------------------------------------------------------------------

/// The values of a context key, looked up case-insensitively ("IAM policy elements: Variables and tags": key
/// names are case-insensitive). An empty list counts as absent.
fn lookup<'c>(context: &'c BTreeMap<String, Vec<String>>, key: &str) -> Result<Option<&'c [String]>, String> {
    let wanted = key.to_lowercase();
    let mut found = context.iter().filter(|(k, _)| k.to_lowercase() == wanted);
    let first = found.next();
    if found.next().is_some() {
        return Err(format!(
            "the request context has several keys that equal {key:?} ignoring case"
        ));
    }
    Ok(first.map(|(_, v)| v.as_slice()).filter(|v| !v.is_empty()))
}

/// Substitutes policy variables; `None` when a variable's key is absent and it has no default.
fn resolve(template: &Template, context: &BTreeMap<String, Vec<String>>) -> Result<Option<Vec<Tok>>, String> {
    let mut out = Vec::new();
    for piece in template {
        match piece {
            Piece::Text(text) => out.extend(text.chars().map(wildcard_tok)),
            Piece::Escaped(c) => out.push(Tok::Lit(*c)),
            Piece::Var { key, default } => match (lookup(context, key)?, default) {
                // Substituted request data is literal text, never a wildcard.
                (Some([value]), _) => out.extend(value.chars().map(Tok::Lit)),
                // "Single-valued vs. multivalued context keys": a multivalued key cannot be a policy variable.
                (Some(_), _) => return Err(format!("policy variable ${{{key}}} refers to a multivalued key")),
                // "Variables and tags", Specifying default values: the quoted default stands in for a missing key.
                (None, Some(default)) => out.extend(default.chars().map(Tok::Lit)),
                (None, None) => return Ok(None),
            },
        }
    }
    Ok(Some(out))
}

fn wildcard_tok(c: char) -> Tok {
    match c {
        '*' => Tok::Star,
        '?' => Tok::One,
        other => Tok::Lit(other),
    }
}

/// Splits a policy string into text and `${...}` variables. With variables disabled (no Version, or
/// "2008-10-17") the docs say `${aws:username}` is a literal string, so the whole string is text.
fn parse_template(s: &str, variables: bool) -> Result<Template, String> {
    if !variables {
        return Ok(vec![Piece::Text(s.to_string())]);
    }
    let mut pieces = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        pieces.push(Piece::Text(rest[..start].to_string()));
        let inner = &rest[start + 2..];
        let end = inner
            .find('}')
            .ok_or_else(|| format!("unterminated policy variable in {s:?}"))?;
        pieces.push(parse_variable(&inner[..end])?);
        rest = &inner[end + 1..];
    }
    pieces.push(Piece::Text(rest.to_string()));
    Ok(pieces)
}

/// One `${...}` body. "IAM policy elements: Variables and tags": `${*}`, `${?}` and `${$}` stand for the literal
/// characters; `${key, 'default'}` gives a default value in single quotes after a comma.
fn parse_variable(inner: &str) -> Result<Piece, String> {
    if let [c @ ('*' | '?' | '$')] = chars(inner).as_slice() {
        return Ok(Piece::Escaped(*c));
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner, None),
        Some((key, default)) => (key, Some(parse_default(default.trim_start())?)),
    };
    if key.is_empty() || key.chars().any(|c| c.is_whitespace() || matches!(c, '\'' | '$' | '{')) {
        return Err(format!("unsupported policy variable ${{{inner}}}"));
    }
    Ok(Piece::Var {
        key: key.to_string(),
        default,
    })
}

fn parse_default(quoted: &str) -> Result<String, String> {
    quoted
        .strip_prefix('\'')
        .and_then(|q| q.strip_suffix('\''))
        .map(str::to_string)
        .ok_or_else(|| format!("policy variable default {quoted:?} is not in single quotes"))
}

// ---------------------------------------------------------------------------------------------------------------
// Document parsing ("Grammar of the IAM JSON policy language")
// ---------------------------------------------------------------------------------------------------------------

const STATEMENT_KEYS: [&str; 7] = [
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
];

fn parse_policy(policy: &Policy) -> Result<ParsedPolicy, String> {
    let statements = parse_document(&policy.document).map_err(|e| format!("policy {:?}: {e}", policy.name))?;
    Ok(ParsedPolicy {
        name: policy.name.clone(),
        statements,
    })
}

fn parse_document(document: &Value) -> Result<Vec<Statement>, String> {
    let doc = document.as_object().ok_or("the document is not a JSON object")?;
    for key in doc.keys() {
        match key.as_str() {
            "Version" | "Statement" => {}
            // Grammar notes: the id_block "must not be included in identity-based policies".
            "Id" => return Err("an Id element is not allowed in an identity-based policy".into()),
            other => return Err(format!("unknown policy element {other:?}")),
        }
    }
    let variables = variables_enabled(doc.get("Version"))?;
    let statements = match doc.get("Statement") {
        Some(Value::Object(_)) => vec![&doc["Statement"]],
        Some(Value::Array(list)) if !list.is_empty() => list.iter().collect(),
        _ => return Err("Statement must be an object or a non-empty array".into()),
    };
    statements
        .into_iter()
        .enumerate()
        .map(|(i, s)| parse_statement(i, s, variables))
        .collect()
}

/// "Grammar of the IAM JSON policy language" allows Version "2012-10-17" and "2008-10-17"; "IAM policy elements:
/// Variables and tags": variables exist only in "2012-10-17" and are literal text otherwise, including when the
/// Version element is missing.
fn variables_enabled(version: Option<&Value>) -> Result<bool, String> {
    match version.map(|v| (v, v.as_str())) {
        None => Ok(false),
        Some((_, Some("2012-10-17"))) => Ok(true),
        Some((_, Some("2008-10-17"))) => Ok(false),
        Some((other, _)) => Err(format!("unsupported policy Version {other}")),
    }
}

fn parse_statement(index: usize, value: &Value, variables: bool) -> Result<Statement, String> {
    let fail = |e: String| format!("statement #{index}: {e}");
    let obj = value
        .as_object()
        .ok_or_else(|| fail("a statement must be a JSON object".into()))?;
    check_statement_keys(obj).map_err(fail)?;
    let (not_action, actions) = action_or_not(obj, "Action", "NotAction").map_err(fail)?;
    let (not_resource, resources) = action_or_not(obj, "Resource", "NotResource").map_err(fail)?;
    Ok(Statement {
        sid: parse_sid(obj.get("Sid"), index).map_err(fail)?,
        effect: parse_effect(obj.get("Effect")).map_err(fail)?,
        not_action,
        actions: actions
            .iter()
            .map(|a| parse_action(a))
            .collect::<Result<_, _>>()
            .map_err(fail)?,
        not_resource,
        resources: resources
            .iter()
            .map(|r| parse_resource(r, variables))
            .collect::<Result<_, _>>()
            .map_err(fail)?,
        conditions: match obj.get("Condition") {
            None => Vec::new(),
            Some(block) => parse_conditions(block, variables).map_err(fail)?,
        },
    })
}

fn check_statement_keys(obj: &Map<String, Value>) -> Result<(), String> {
    for key in obj.keys() {
        if key == "Principal" || key == "NotPrincipal" {
            // Grammar notes: the principal_block "must not be included in identity-based policies".
            return Err(format!("a {key} element is not allowed in an identity-based policy"));
        }
        if !STATEMENT_KEYS.contains(&key.as_str()) {
            return Err(format!("unknown statement element {key:?}"));
        }
    }
    Ok(())
}

/// Grammar notes: for IAM policies only A-Z, a-z and 0-9 are allowed in a Sid.
fn parse_sid(sid: Option<&Value>, index: usize) -> Result<String, String> {
    match sid {
        None => Ok(format!("#{index}")),
        Some(Value::String(s)) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => Ok(s.clone()),
        Some(other) => Err(format!("invalid Sid {other}: IAM allows only A-Z, a-z and 0-9")),
    }
}

fn parse_effect(effect: Option<&Value>) -> Result<Effect, String> {
    match effect.and_then(Value::as_str) {
        Some("Allow") => Ok(Effect::Allow),
        Some("Deny") => Ok(Effect::Deny),
        _ => Err(format!("Effect must be \"Allow\" or \"Deny\", found {effect:?}")),
    }
}

/// Exactly one of `positive` / `negative` (Action/NotAction, Resource/NotResource), as a string or a non-empty
/// array of strings; returns whether the negative form was used.
fn action_or_not(obj: &Map<String, Value>, positive: &str, negative: &str) -> Result<(bool, Vec<String>), String> {
    match (obj.get(positive), obj.get(negative)) {
        (Some(v), None) => Ok((false, string_list(v, positive)?)),
        (None, Some(v)) => Ok((true, string_list(v, negative)?)),
        (Some(_), Some(_)) => Err(format!("a statement cannot have both {positive} and {negative}")),
        (None, None) => Err(format!("a statement needs {positive} or {negative}")),
    }
}

fn string_list(value: &Value, element: &str) -> Result<Vec<String>, String> {
    let items = match value {
        Value::String(s) => return Ok(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items,
        _ => return Err(format!("{element} must be a string or a non-empty array of strings")),
    };
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{element} entries must be strings"))
        })
        .collect()
}

/// Grammar notes: an action is "*" or a service namespace, a colon and an action name (wildcards allowed).
fn parse_action(action: &str) -> Result<Vec<Tok>, String> {
    let valid = action == "*"
        || action
            .split_once(':')
            .is_some_and(|(service, name)| !service.is_empty() && !name.is_empty());
    if !valid {
        return Err(format!("invalid action {action:?}"));
    }
    Ok(action.to_lowercase().chars().map(wildcard_tok).collect())
}

/// "IAM policy elements: Variables and tags": variables may appear only in the resource part of an ARN, after
/// the fifth colon.
fn parse_resource(resource: &str, variables: bool) -> Result<Template, String> {
    if resource.is_empty() {
        return Err("empty Resource entry".into());
    }
    let colons_before_variable = resource
        .find("${")
        .filter(|_| variables)
        .map(|at| resource[..at].matches(':').count());
    if colons_before_variable.is_some_and(|colons| colons < 5) {
        return Err(format!("policy variable before the resource part of ARN {resource:?}"));
    }
    parse_template(resource, variables)
}

fn parse_conditions(block: &Value, variables: bool) -> Result<Vec<Condition>, String> {
    let block = block.as_object().ok_or("Condition must be a JSON object")?;
    let mut conditions = Vec::new();
    for (name, keys) in block {
        let op = parse_operator(name)?;
        let keys = keys.as_object().filter(|k| !k.is_empty());
        let keys = keys.ok_or_else(|| format!("{name} must map condition keys to values"))?;
        for (key, values) in keys {
            if key.is_empty() {
                return Err(format!("{name} has an empty condition key"));
            }
            let values = condition_values(values)?;
            let values = values
                .iter()
                .map(|v| condition_value(op, v, variables))
                .collect::<Result<_, _>>()?;
            conditions.push(Condition {
                op,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(conditions)
}

/// Grammar: a condition value list holds strings, numbers or Booleans (one value, or a non-empty array).
fn condition_values(value: &Value) -> Result<Vec<String>, String> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let values = match value {
        Value::Array(items) if !items.is_empty() => items.iter().map(scalar).collect::<Option<Vec<_>>>(),
        Value::Array(_) => None,
        single => scalar(single).map(|s| vec![s]),
    };
    values.ok_or_else(|| format!("invalid condition value {value}"))
}

/// Parses one policy value for `op`. "IAM policy elements: Variables and tags": variables work only with the
/// string and ARN operators. (The Condition operators page also claims Bool accepts variables; the two pages
/// disagree, so a variable in a Bool value is refused.)
fn condition_value(op: Operator, value: &str, variables: bool) -> Result<Template, String> {
    if matches!(op.base, Base::StrEq | Base::StrEqIgnoreCase | Base::StrLike | Base::Arn) {
        return parse_template(value, variables);
    }
    if variables && value.contains("${") {
        return Err(format!(
            "policy variables are not supported in {:?} values ({value:?})",
            op.base
        ));
    }
    match op.base {
        Base::Numeric(_) => parse_number(value).map(drop)?,
        Base::Date(_) => parse_date(value).map(drop)?,
        Base::Bool | Base::Null => parse_bool(value).map(drop)?,
        Base::Ip => parse_cidr(value).map(drop)?,
        _ => {}
    }
    Ok(vec![Piece::Text(value.to_string())])
}

/// Operator names as spelled in "IAM JSON policy elements: Condition operators", with an optional `ForAllValues:`
/// / `ForAnyValue:` qualifier and `IfExists` suffix.
fn parse_operator(name: &str) -> Result<Operator, String> {
    let (set, rest) = if let Some(rest) = name.strip_prefix("ForAllValues:") {
        (SetOp::ForAllValues, rest)
    } else if let Some(rest) = name.strip_prefix("ForAnyValue:") {
        (SetOp::ForAnyValue, rest)
    } else {
        (SetOp::Single, name)
    };
    let (if_exists, base_name) = rest.strip_suffix("IfExists").map_or((false, rest), |b| (true, b));
    if base_name == "BinaryEquals" {
        return Err(format!(
            "condition operator {name:?} (binary comparison) is not supported"
        ));
    }
    let (base, negated) = base_operator(base_name).ok_or_else(|| format!("unknown condition operator {name:?}"))?;
    let op = Operator {
        base,
        negated,
        if_exists,
        set,
    };
    check_operator(name, op)?;
    Ok(op)
}

fn check_operator(name: &str, op: Operator) -> Result<(), String> {
    // "Condition operators", ...IfExists: IfExists can be added to any operator except Null.
    if op.base == Base::Null && (op.if_exists || op.set != SetOp::Single) {
        return Err(format!("{name:?}: Null takes neither IfExists nor a set qualifier"));
    }
    // "...IfExists" says a missing key makes the condition true; "Creating a condition with multiple keys or
    // values" says ForAnyValue is false for an empty data set. The docs contradict each other for this
    // combination, so refuse it.
    if op.set == SetOp::ForAnyValue && op.if_exists {
        return Err(format!(
            "{name:?}: ForAnyValue with IfExists has no documented meaning for a missing key"
        ));
    }
    Ok(())
}

fn base_operator(name: &str) -> Option<(Base, bool)> {
    Some(match name {
        "StringEquals" => (Base::StrEq, false),
        "StringNotEquals" => (Base::StrEq, true),
        "StringEqualsIgnoreCase" => (Base::StrEqIgnoreCase, false),
        "StringNotEqualsIgnoreCase" => (Base::StrEqIgnoreCase, true),
        "StringLike" => (Base::StrLike, false),
        "StringNotLike" => (Base::StrLike, true),
        "NumericEquals" => (Base::Numeric(Cmp::Eq), false),
        "NumericNotEquals" => (Base::Numeric(Cmp::Eq), true),
        "NumericLessThan" => (Base::Numeric(Cmp::Lt), false),
        "NumericLessThanEquals" => (Base::Numeric(Cmp::Le), false),
        "NumericGreaterThan" => (Base::Numeric(Cmp::Gt), false),
        "NumericGreaterThanEquals" => (Base::Numeric(Cmp::Ge), false),
        "DateEquals" => (Base::Date(Cmp::Eq), false),
        "DateNotEquals" => (Base::Date(Cmp::Eq), true),
        "DateLessThan" => (Base::Date(Cmp::Lt), false),
        "DateLessThanEquals" => (Base::Date(Cmp::Le), false),
        "DateGreaterThan" => (Base::Date(Cmp::Gt), false),
        "DateGreaterThanEquals" => (Base::Date(Cmp::Ge), false),
        "Bool" => (Base::Bool, false),
        "ArnEquals" | "ArnLike" => (Base::Arn, false),
        "ArnNotEquals" | "ArnNotLike" => (Base::Arn, true),
        "IpAddress" => (Base::Ip, false),
        "NotIpAddress" => (Base::Ip, true),
        "Null" => (Base::Null, false),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Typed values
// ---------------------------------------------------------------------------------------------------------------

/// Numeric operators compare "an integer or decimal value"; exponents, `inf` and `NaN` are refused.
fn parse_number(s: &str) -> Result<f64, String> {
    let unsigned = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) {
        return Err(format!("{s:?} is not an integer or decimal number"));
    }
    s.parse().map_err(|e| format!("{s:?}: {e}"))
}

/// Bool compares with "true" or "false"; accepted in any ASCII case.
fn parse_bool(s: &str) -> Result<bool, String> {
    if s.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if s.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(format!("{s:?} is not \"true\" or \"false\""))
    }
}

/// Date operators take a W3C ISO 8601 date (`YYYY-MM-DD`), a date-time with seconds optional and a zone
/// designator (`Z` or `±hh:mm`), or epoch seconds (all digits). Returns milliseconds since the epoch. The
/// year-only and year-month forms are refused because `2020` would be ambiguous with epoch time.
fn parse_date(s: &str) -> Result<i64, String> {
    let invalid = || format!("{s:?} is not an ISO 8601 date-time or epoch time");
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|secs| secs.checked_mul(1000))
            .ok_or_else(invalid);
    }
    let (date, time) = s.split_once('T').map_or((s, None), |(d, t)| (d, Some(t)));
    let days = parse_ymd(date).ok_or_else(invalid)?;
    let millis = match time {
        None => 0,
        Some(time) => parse_time(time).ok_or_else(invalid)?,
    };
    Ok(days * 86_400_000 + millis)
}

fn fixed_digits(s: &str, width: usize) -> Option<i64> {
    if s.len() == width && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn parse_ymd(date: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let year = fixed_digits(parts.next()?, 4)?;
    let month = fixed_digits(parts.next()?, 2)?;
    let day = fixed_digits(parts.next()?, 2)?;
    let valid = parts.next().is_none() && (1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day);
    valid.then(|| days_from_civil(year, month, day))
}

/// `hh:mm[:ss[.fraction]]` plus a zone designator, as milliseconds after midnight UTC.
fn parse_time(time: &str) -> Option<i64> {
    let (clock, offset_millis) = split_zone(time)?;
    let mut parts = clock.split(':');
    let hour = fixed_digits(parts.next()?, 2).filter(|h| *h < 24)?;
    let minute = fixed_digits(parts.next()?, 2).filter(|m| *m < 60)?;
    let second_millis = match parts.next() {
        None => 0,
        Some(seconds) => parse_seconds(seconds)?,
    };
    parts
        .next()
        .is_none()
        .then(|| (hour * 3600 + minute * 60) * 1000 + second_millis - offset_millis)
}

fn split_zone(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix('Z') {
        return Some((clock, 0));
    }
    let (clock, zone) = time.split_at(time.rfind(['+', '-'])?);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = zone[1..].split_once(':')?;
    let hours = fixed_digits(hours, 2).filter(|h| *h < 24)?;
    let minutes = fixed_digits(minutes, 2).filter(|m| *m < 60)?;
    Some((clock, sign * (hours * 60 + minutes) * 60_000))
}

/// `ss` or `ss.fraction`; the fraction is truncated to milliseconds.
fn parse_seconds(seconds: &str) -> Option<i64> {
    let (whole, fraction) = seconds.split_once('.').map_or((seconds, None), |(w, f)| (w, Some(f)));
    let whole = fixed_digits(whole, 2).filter(|s| *s < 60)?;
    let millis = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => format!("{f:0<3}")[..3].parse().ok()?,
        Some(_) => return None,
    };
    Some(whole * 1000 + millis)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// "Condition operators", IP address: a CIDR block; an address without a prefix means /32. The docs define no
/// default for IPv6, so an IPv6 address without a prefix is refused.
fn parse_cidr(block: &str) -> Result<(IpAddr, u32), String> {
    let invalid = || format!("{block:?} is not an IP address or CIDR block");
    let (address, prefix) = block.split_once('/').map_or((block, None), |(a, p)| (a, Some(p)));
    let address: IpAddr = address.parse().map_err(|_| invalid())?;
    let bits = if address.is_ipv4() { 32 } else { 128 };
    let prefix = match prefix {
        Some(p) => p.parse::<u32>().ok().filter(|p| *p <= bits).ok_or_else(invalid)?,
        None if address.is_ipv4() => 32,
        None => return Err(format!("IPv6 address {block:?} needs an explicit prefix length")),
    };
    Ok((address, prefix))
}

fn ip_in_block(value: &str, block: &str) -> Result<bool, String> {
    let address: IpAddr = value
        .parse()
        .map_err(|_| format!("request value {value:?} is not an IP address"))?;
    let (network, prefix) = parse_cidr(block)?;
    let (a, n, bits) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(u32::from(a)), u128::from(u32::from(n)), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        // An IPv4 request never falls in an IPv6 block, nor the reverse.
        _ => return Ok(false),
    };
    let shift = bits - prefix;
    Ok(a.checked_shr(shift).unwrap_or(0) == n.checked_shr(shift).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(name: &str, document: Value) -> Policy {
        Policy {
            name: name.to_string(),
            document,
        }
    }

    fn context(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
        pairs
            .iter()
            .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
            .collect()
    }

    fn run(
        identity: &[Policy],
        boundary: Option<&Policy>,
        action: &str,
        resource: &str,
        ctx: &BTreeMap<String, Vec<String>>,
    ) -> Result<Decision, String> {
        evaluate(
            identity,
            boundary,
            &Request {
                action,
                resource,
                context: ctx,
            },
        )
    }

    fn allowed(policy: &str, sid: &str) -> Decision {
        Decision::Allowed {
            policy: policy.to_string(),
            sid: sid.to_string(),
        }
    }

    fn denied(policy: &str, sid: &str) -> Decision {
        Decision::ExplicitDeny {
            policy: policy.to_string(),
            sid: sid.to_string(),
        }
    }

    fn none() -> BTreeMap<String, Vec<String>> {
        BTreeMap::new()
    }

    /// "The difference between explicit and implicit denies" example policy.
    fn get_list_deny_reports() -> Policy {
        policy(
            "ReadOnlyNoReports",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "AllowGetList", "Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
                {"Sid": "DenyReports", "Effect": "Deny", "Action": "iam:*Report", "Resource": "*"}
            ]}),
        )
    }

    // The difference between explicit and implicit denies: DenyReports beats AllowGetList, and beats a second
    // policy that grants iam:GenerateCredentialReport.
    #[test]
    fn explicit_deny_beats_allow() {
        let reports = policy(
            "Reports",
            json!({"Version": "2012-10-17", "Statement":
                {"Sid": "Reports", "Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"}}),
        );
        let ids = [get_list_deny_reports(), reports];
        let got = run(&ids, None, "iam:GetOrganizationsAccessReport", "*", &none());
        assert_eq!(got, Ok(denied("ReadOnlyNoReports", "DenyReports")));
        let got = run(&ids, None, "iam:GenerateCredentialReport", "*", &none());
        assert_eq!(got, Ok(denied("ReadOnlyNoReports", "DenyReports")));
    }

    // The difference between explicit and implicit denies: iam:CreatePolicy is implicitly denied, iam:GetUser is
    // allowed by AllowGetList.
    #[test]
    fn implicit_deny_and_allow() {
        let ids = [get_list_deny_reports()];
        assert_eq!(
            run(&ids, None, "iam:CreatePolicy", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "iam:GetUser", "*", &none()),
            Ok(allowed("ReadOnlyNoReports", "AllowGetList"))
        );
        assert_eq!(run(&[], None, "iam:GetUser", "*", &none()), Ok(Decision::ImplicitDeny));
    }

    // IAM JSON policy elements: NotAction — "allows users to access every action in every AWS service except for
    // IAM"; and the S3 example "NotAction s3:DeleteBucket on arn:aws:s3:::*" (no ListAllMyBuckets on "*").
    #[test]
    fn not_action_with_allow() {
        let all_but_iam = policy(
            "NotIam",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}}),
        );
        let ids = [all_but_iam];
        assert_eq!(
            run(&ids, None, "ec2:RunInstances", "*", &none()),
            Ok(allowed("NotIam", "#0"))
        );
        assert_eq!(
            run(&ids, None, "iam:CreateUser", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
        let s3 = policy(
            "S3NoDelete",
            json!({"Version": "2012-10-17", "Statement":
                {"Sid": "S3", "Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "arn:aws:s3:::*"}}),
        );
        let ids = [s3];
        assert_eq!(
            run(&ids, None, "s3:GetObject", "arn:aws:s3:::b/k", &none()),
            Ok(allowed("S3NoDelete", "S3"))
        );
        assert_eq!(
            run(&ids, None, "s3:DeleteBucket", "arn:aws:s3:::b", &none()),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "s3:ListAllMyBuckets", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
    }

    // IAM JSON policy elements: NotResource — HRPayroll: deny s3:* on everything except HRBucket/Payroll.
    #[test]
    fn not_resource_with_deny() {
        let hr = policy(
            "HRPayroll",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "DenyOutsidePayroll", "Effect": "Deny", "Action": "s3:*",
                 "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]},
                {"Sid": "AllowPayroll", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::HRBucket/*"}
            ]}),
        );
        let ids = [hr];
        let payroll = "arn:aws:s3:::HRBucket/Payroll/jan.csv";
        assert_eq!(
            run(&ids, None, "s3:GetObject", payroll, &none()),
            Ok(allowed("HRPayroll", "AllowPayroll"))
        );
        let other = "arn:aws:s3:::HRBucket/Secrets/x";
        assert_eq!(
            run(&ids, None, "s3:GetObject", other, &none()),
            Ok(denied("HRPayroll", "DenyOutsidePayroll"))
        );
    }

    // IAM JSON policy elements: Action — "iam:ListAccessKeys is the same as IAM:listaccesskeys", and
    // "iam:*AccessKey*" covers CreateAccessKey, DeleteAccessKey, ListAccessKeys, UpdateAccessKey.
    #[test]
    fn wildcard_actions_case_insensitive() {
        let keys = policy(
            "Keys",
            json!({"Version": "2012-10-17", "Statement":
                {"Sid": "AccessKeys", "Effect": "Allow", "Action": "IAM:*accesskey*", "Resource": "*"}}),
        );
        let ids = [keys];
        for action in ["iam:CreateAccessKey", "iam:ListAccessKeys", "IAM:updateaccesskey"] {
            assert_eq!(
                run(&ids, None, action, "*", &none()),
                Ok(allowed("Keys", "AccessKeys")),
                "{action}"
            );
        }
        assert_eq!(
            run(&ids, None, "iam:CreateUser", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
        let s3 = policy(
            "S3",
            json!({"Version": "2012-10-17", "Statement":
            {"Effect": "Allow", "Action": ["s3:Get?bject", "sqs:*"], "Resource": "*"}}),
        );
        let ids = [s3];
        assert_eq!(run(&ids, None, "s3:GetObject", "*", &none()), Ok(allowed("S3", "#0")));
        assert_eq!(
            run(&ids, None, "SQS:SendMessage", "*", &none()),
            Ok(allowed("S3", "#0"))
        );
        assert_eq!(
            run(&ids, None, "s3:GetObjectAcl", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
    }

    // IAM JSON policy elements: Resource — "user/accounting/*" and "my_corporate_bucket/*"; resources are case
    // sensitive and `*` expands across `/` and `:`.
    #[test]
    fn resource_wildcards() {
        let p = policy(
            "Res",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Accounting", "Effect": "Allow", "Action": "iam:GetUser",
                 "Resource": "arn:aws:iam::123456789012:user/accounting/*"},
                {"Sid": "Bucket", "Effect": "Allow", "Action": "s3:GetObject",
                 "Resource": "arn:aws:s3:::my_corporate_bucket/*"},
                {"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:StopInstances", "Resource": "arn:aws:ec2:*"},
                {"Sid": "Queue", "Effect": "Allow", "Action": "sqs:SendMessage",
                 "Resource": "arn:aws:sqs:us-east-2:123456789012:queue?"}
            ]}),
        );
        let ids = [p];
        let user = "arn:aws:iam::123456789012:user/accounting/eu/bob";
        assert_eq!(
            run(&ids, None, "iam:GetUser", user, &none()),
            Ok(allowed("Res", "Accounting"))
        );
        let user = "arn:aws:iam::123456789012:user/Accounting/bob";
        assert_eq!(
            run(&ids, None, "iam:GetUser", user, &none()),
            Ok(Decision::ImplicitDeny)
        );
        let key = "arn:aws:s3:::my_corporate_bucket/a/b.txt";
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &none()),
            Ok(allowed("Res", "Bucket"))
        );
        let bucket = "arn:aws:s3:::my_corporate_bucket";
        assert_eq!(
            run(&ids, None, "s3:GetObject", bucket, &none()),
            Ok(Decision::ImplicitDeny)
        );
        let instance = "arn:aws:ec2:us-east-1:123456789012:instance/i-1";
        assert_eq!(
            run(&ids, None, "ec2:StopInstances", instance, &none()),
            Ok(allowed("Res", "Ec2"))
        );
        let q1 = "arn:aws:sqs:us-east-2:123456789012:queue1";
        assert_eq!(
            run(&ids, None, "sqs:SendMessage", q1, &none()),
            Ok(allowed("Res", "Queue"))
        );
        let q12 = "arn:aws:sqs:us-east-2:123456789012:queue12";
        assert_eq!(
            run(&ids, None, "sqs:SendMessage", q12, &none()),
            Ok(Decision::ImplicitDeny)
        );
    }

    /// Built on "IAM: Add a specific tag with specific values" (AddTag statement), with StringLike for the tag
    /// value as described under "String condition operators" (wildcards needed for partial matches).
    fn add_tag(value_op: &str) -> Policy {
        policy(
            "AddTag",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "ConsoleDisplay", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUserTags"],
                 "Resource": "*"},
                {"Sid": "AddTag", "Effect": "Allow", "Action": ["iam:TagUser", "iam:TagRole"], "Resource": "*",
                 "Condition": {
                    value_op: {"aws:RequestTag/CostCenter": ["A-123", "B-*"]},
                    "ForAllValues:StringEquals": {"aws:TagKeys": "CostCenter"}}}
            ]}),
        )
    }

    // IAM: Add a specific tag with specific values, with StringLike on aws:RequestTag/CostCenter.
    #[test]
    fn string_like_on_request_tag() {
        let ids = [add_tag("StringLike")];
        let tag = |v: &str| context(&[("aws:RequestTag/CostCenter", &[v]), ("aws:TagKeys", &["CostCenter"])]);
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &tag("B-456")),
            Ok(allowed("AddTag", "AddTag"))
        );
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &tag("A-123")),
            Ok(allowed("AddTag", "AddTag"))
        );
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &tag("b-456")),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &tag("A-1234")),
            Ok(Decision::ImplicitDeny)
        );
        // StringEquals takes "B-*" literally.
        let ids = [add_tag("StringEquals")];
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &tag("B-456")),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &tag("B-*")),
            Ok(allowed("AddTag", "AddTag"))
        );
    }

    // Multivalued context key examples: DenyRestrictedTags with Null false + ForAllValues:StringLike, and the
    // documented pitfall that ForAllValues is true when aws:TagKeys is absent.
    #[test]
    fn for_all_values_on_tag_keys() {
        let deny = policy(
            "Restricted",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"],
                 "Resource": ["*"], "Condition": {
                    "Null": {"aws:TagKeys": "false"},
                    "ForAllValues:StringLike": {"aws:TagKeys": ["key1*", "key2*", "key3*"]}}},
                {"Sid": "AllowTagging", "Effect": "Allow", "Action": "iam:TagUser", "Resource": "*"}
            ]}),
        );
        let ids = [deny];
        let keys = |ks: &[&str]| context(&[("aws:TagKeys", ks)]);
        let got = run(&ids, None, "iam:TagUser", "*", &keys(&["key1a", "key3b"]));
        assert_eq!(got, Ok(denied("Restricted", "DenyRestrictedTags")));
        let got = run(&ids, None, "iam:TagUser", "*", &keys(&["key1a", "other"]));
        assert_eq!(got, Ok(allowed("Restricted", "AllowTagging")));
        // Null false guards the absent key, so the Deny does not apply.
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &none()),
            Ok(allowed("Restricted", "AllowTagging"))
        );
        // The pitfall itself: the AddTag Allow holds with no aws:TagKeys at all.
        let ids = [add_tag("StringEquals")];
        let only_value = context(&[("aws:RequestTag/CostCenter", &["A-123"])]);
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &only_value),
            Ok(allowed("AddTag", "AddTag"))
        );
        let extra = context(&[
            ("aws:RequestTag/CostCenter", &["A-123"]),
            ("aws:TagKeys", &["CostCenter", "x"]),
        ]);
        assert_eq!(run(&ids, None, "iam:TagUser", "*", &extra), Ok(Decision::ImplicitDeny));
        // An empty list is the "empty data set" of the docs: ForAllValues is true again.
        let empty = context(&[("aws:RequestTag/CostCenter", &["A-123"]), ("aws:TagKeys", &[])]);
        assert_eq!(
            run(&ids, None, "iam:TagUser", "*", &empty),
            Ok(allowed("AddTag", "AddTag"))
        );
    }

    // Multivalued context key examples: deny snapshots tagged with environment or webserver (ForAnyValue); false
    // when aws:TagKeys is absent. Also the DynamoDB PutItem example from "Creating a condition with multiple keys
    // or values".
    #[test]
    fn for_any_value() {
        let p = policy(
            "Snapshots",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "AllowSnapshots", "Effect": "Allow", "Action": "ec2:CreateSnapshot*", "Resource": "*"},
                {"Sid": "DenyTaggedSnapshots", "Effect": "Deny",
                 "Action": ["ec2:CreateSnapshot", "ec2:CreateSnapshots"],
                 "Resource": "arn:aws:ec2:us-west-2::snapshot/*",
                 "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["webserver", "environment"]}}}
            ]}),
        );
        let ids = [p];
        let snap = "arn:aws:ec2:us-west-2::snapshot/snap-1";
        let tags = context(&[("aws:TagKeys", &["owner", "environment"])]);
        assert_eq!(
            run(&ids, None, "ec2:CreateSnapshot", snap, &tags),
            Ok(denied("Snapshots", "DenyTaggedSnapshots"))
        );
        let tags = context(&[("aws:TagKeys", &["owner"])]);
        assert_eq!(
            run(&ids, None, "ec2:CreateSnapshot", snap, &tags),
            Ok(allowed("Snapshots", "AllowSnapshots"))
        );
        assert_eq!(
            run(&ids, None, "ec2:CreateSnapshot", snap, &none()),
            Ok(allowed("Snapshots", "AllowSnapshots"))
        );
        let attrs = policy(
            "Dynamo",
            json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Put", "Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"},
            {"Sid": "NoIdUpdates", "Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*",
             "Condition": {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}}}]}),
        );
        let ids = [attrs];
        let req = context(&[("dynamodb:requestedAttributes", &["UserName", "Message", "PostDateTime"])]);
        assert_eq!(
            run(&ids, None, "dynamodb:PutItem", "*", &req),
            Ok(denied("Dynamo", "NoIdUpdates"))
        );
        let req = context(&[("dynamodb:requestedAttributes", &["UserName"])]);
        assert_eq!(
            run(&ids, None, "dynamodb:PutItem", "*", &req),
            Ok(allowed("Dynamo", "Put"))
        );
    }

    /// The aws:PrincipalTag/job-category example of "String condition operators", as a Deny with StringNotEquals.
    fn access_key_admins() -> Policy {
        policy(
            "KeyAdmins",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "AllowKeys", "Effect": "Allow", "Action": "iam:*AccessKey*",
                 "Resource": "arn:aws:iam::123456789012:user/*"},
                {"Sid": "DenyNonAdmins", "Effect": "Deny", "Action": "iam:*AccessKey*",
                 "Resource": "arn:aws:iam::123456789012:user/*",
                 "Condition": {"StringNotEquals": {"aws:PrincipalTag/job-category": "iamuser-admin"}}}
            ]}),
        )
    }

    // IAM JSON policy elements: Condition operators ("Important"): a negated operator is true when the key is
    // absent, so an untagged principal is denied.
    #[test]
    fn string_not_equals_absent_key_is_true() {
        let ids = [access_key_admins()];
        let user = "arn:aws:iam::123456789012:user/bob";
        let got = run(&ids, None, "iam:CreateAccessKey", user, &none());
        assert_eq!(got, Ok(denied("KeyAdmins", "DenyNonAdmins")));
        let admin = context(&[("aws:PrincipalTag/job-category", &["iamuser-admin"])]);
        assert_eq!(
            run(&ids, None, "iam:CreateAccessKey", user, &admin),
            Ok(allowed("KeyAdmins", "AllowKeys"))
        );
        let other = context(&[("aws:PrincipalTag/job-category", &["developer"])]);
        assert_eq!(
            run(&ids, None, "iam:CreateAccessKey", user, &other),
            Ok(denied("KeyAdmins", "DenyNonAdmins"))
        );
    }

    /// "...IfExists condition operators": the RunInstance / DescribeActions example and the THISPOLICYDOESNOTWORK
    /// variant without IfExists.
    fn run_instances(op: &str, sid: &str) -> Policy {
        policy(
            "Ec2",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": sid, "Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
                 "Condition": {op: {"ec2:InstanceType": ["t1.*", "t2.*", "m3.*"]}}},
                {"Sid": "DescribeActions", "Effect": "Allow", "Action": ["ec2:DescribeImages", "ec2:DescribeVpcs"],
                 "Resource": "*"}
            ]}),
        )
    }

    // ...IfExists condition operators: absent ec2:InstanceType passes, a present one must match.
    #[test]
    fn if_exists() {
        let ids = [run_instances("StringLikeIfExists", "RunInstance")];
        let image = "arn:aws:ec2:us-east-1::image/ami-1";
        assert_eq!(
            run(&ids, None, "ec2:RunInstances", image, &none()),
            Ok(allowed("Ec2", "RunInstance"))
        );
        let t2 = context(&[("ec2:InstanceType", &["t2.micro"])]);
        assert_eq!(
            run(&ids, None, "ec2:RunInstances", "*", &t2),
            Ok(allowed("Ec2", "RunInstance"))
        );
        let m5 = context(&[("ec2:InstanceType", &["m5.large"])]);
        assert_eq!(
            run(&ids, None, "ec2:RunInstances", "*", &m5),
            Ok(Decision::ImplicitDeny)
        );
        let ids = [run_instances("StringLike", "THISPOLICYDOESNOTWORK")];
        assert_eq!(
            run(&ids, None, "ec2:RunInstances", image, &none()),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "ec2:DescribeVpcs", "*", &none()),
            Ok(allowed("Ec2", "DescribeActions"))
        );
    }

    // Condition operator to check existence of condition keys: EC2 only without temporary credentials.
    #[test]
    fn null_operator() {
        let p = policy(
            "NoTempCreds",
            json!({"Version": "2012-10-17", "Statement": {"Action": "ec2:*", "Effect": "Allow", "Resource": "*",
                "Condition": {"Null": {"aws:TokenIssueTime": "true"}}}}),
        );
        let ids = [p];
        assert_eq!(
            run(&ids, None, "ec2:DescribeVpcs", "*", &none()),
            Ok(allowed("NoTempCreds", "#0"))
        );
        let temp = context(&[("aws:TokenIssueTime", &["2020-01-01T00:00:01Z"])]);
        assert_eq!(
            run(&ids, None, "ec2:DescribeVpcs", "*", &temp),
            Ok(Decision::ImplicitDeny)
        );
        let p = policy(
            "MustBeTemp",
            json!({"Version": "2012-10-17", "Statement": {"Action": "ec2:*",
            "Effect": "Allow", "Resource": "*", "Condition": {"Null": {"aws:TokenIssueTime": false}}}}),
        );
        let ids = [p];
        assert_eq!(
            run(&ids, None, "ec2:DescribeVpcs", "*", &temp),
            Ok(allowed("MustBeTemp", "#0"))
        );
        assert_eq!(
            run(&ids, None, "ec2:DescribeVpcs", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
    }

    // Amazon Resource Name (ARN) condition operators: the pattern arn:aws:someservice:*:111122223333:finance/*
    // matches the documented value with StringLike but not with ArnLike.
    #[test]
    fn arn_like_matches_per_segment() {
        let with = |op: &str| {
            policy(
                "Arn",
                json!({"Version": "2012-10-17", "Statement": {"Sid": "Src", "Effect": "Allow",
                    "Action": "sqs:SendMessage", "Resource": "*",
                    "Condition": {op: {"aws:SourceArn": "arn:aws:someservice:*:111122223333:finance/*"}}}}),
            )
        };
        let tricky = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        let ctx = context(&[("aws:SourceArn", &[tricky])]);
        assert_eq!(
            run(&[with("StringLike")], None, "sqs:SendMessage", "*", &ctx),
            Ok(allowed("Arn", "Src"))
        );
        assert_eq!(
            run(&[with("ArnLike")], None, "sqs:SendMessage", "*", &ctx),
            Ok(Decision::ImplicitDeny)
        );
        let good = context(&[(
            "aws:SourceArn",
            &["arn:aws:someservice:us-east-2:111122223333:finance/a:b"],
        )]);
        assert_eq!(
            run(&[with("ArnLike")], None, "sqs:SendMessage", "*", &good),
            Ok(allowed("Arn", "Src"))
        );
        assert_eq!(
            run(&[with("ArnEquals")], None, "sqs:SendMessage", "*", &good),
            Ok(allowed("Arn", "Src"))
        );
        assert_eq!(
            run(&[with("ArnNotLike")], None, "sqs:SendMessage", "*", &good),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&[with("ArnNotLike")], None, "sqs:SendMessage", "*", &none()),
            Ok(allowed("Arn", "Src"))
        );
    }

    // Boolean condition operators: BooleanExample denies s3:* on the bucket unless aws:SecureTransport is true.
    #[test]
    fn bool_secure_transport() {
        let p = policy(
            "Tls",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "BooleanExample", "Action": "s3:*", "Effect": "Deny",
                 "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET", "arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"],
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                {"Sid": "AllowS3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
            ]}),
        );
        let ids = [p];
        let key = "arn:aws:s3:::DOC-EXAMPLE-BUCKET/a";
        let plain = context(&[("aws:SecureTransport", &["false"])]);
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &plain),
            Ok(denied("Tls", "BooleanExample"))
        );
        let tls = context(&[("aws:SecureTransport", &["true"])]);
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &tls),
            Ok(allowed("Tls", "AllowS3"))
        );
    }

    /// "String condition operators": the home-directory policy with ${aws:username} in Resource and s3:prefix.
    fn home_directories(version: Option<&str>) -> Policy {
        let mut doc = json!({"Statement": [
            {"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListAllMyBuckets", "s3:GetBucketLocation"],
             "Resource": "arn:aws:s3:::*"},
            {"Sid": "ListHome", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::BUCKET-NAME",
             "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:username}/"]}}},
            {"Sid": "HomeObjects", "Effect": "Allow", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::BUCKET-NAME/home/${aws:username}",
                          "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/*"]}
        ]});
        if let Some(version) = version {
            doc["Version"] = json!(version);
        }
        policy("Home", doc)
    }

    // String condition operators / IAM policy elements: Variables and tags — ${aws:username} is substituted (key
    // looked up case-insensitively); an absent key makes the entry match nothing.
    #[test]
    fn policy_variable_in_resource() {
        let ids = [home_directories(Some("2012-10-17"))];
        let david = context(&[("AWS:UserName", &["David"])]);
        let own = "arn:aws:s3:::BUCKET-NAME/home/David/notes.txt";
        assert_eq!(
            run(&ids, None, "s3:GetObject", own, &david),
            Ok(allowed("Home", "HomeObjects"))
        );
        let theirs = "arn:aws:s3:::BUCKET-NAME/home/Adele/notes.txt";
        assert_eq!(
            run(&ids, None, "s3:GetObject", theirs, &david),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "s3:GetObject", own, &none()),
            Ok(Decision::ImplicitDeny)
        );
        let listing = context(&[("aws:username", &["David"]), ("s3:prefix", &["home/David/"])]);
        let bucket = "arn:aws:s3:::BUCKET-NAME";
        assert_eq!(
            run(&ids, None, "s3:ListBucket", bucket, &listing),
            Ok(allowed("Home", "ListHome"))
        );
        let snooping = context(&[("aws:username", &["David"]), ("s3:prefix", &["home/Adele/"])]);
        assert_eq!(
            run(&ids, None, "s3:ListBucket", bucket, &snooping),
            Ok(Decision::ImplicitDeny)
        );
    }

    // IAM policy elements: Variables and tags — without Version, "${aws:username}" is a literal string.
    #[test]
    fn missing_version_makes_variables_literal() {
        let ids = [home_directories(None)];
        let david = context(&[("aws:username", &["David"])]);
        let own = "arn:aws:s3:::BUCKET-NAME/home/David/notes.txt";
        assert_eq!(run(&ids, None, "s3:GetObject", own, &david), Ok(Decision::ImplicitDeny));
        let literal = "arn:aws:s3:::BUCKET-NAME/home/${aws:username}/notes.txt";
        assert_eq!(
            run(&ids, None, "s3:GetObject", literal, &david),
            Ok(allowed("Home", "HomeObjects"))
        );
        let ids = [home_directories(Some("2008-10-17"))];
        assert_eq!(run(&ids, None, "s3:GetObject", own, &david), Ok(Decision::ImplicitDeny));
    }

    // IAM policy elements: Variables and tags — ${*}, ${?}, ${$} are literal characters; defaults in quotes.
    #[test]
    fn variable_escapes_and_defaults() {
        let p = policy(
            "Special",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Star", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${*}${?}${$}"},
                {"Sid": "Anon", "Effect": "Allow", "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::b/${aws:userid, 'anonymous'}/*"}
            ]}),
        );
        let ids = [p];
        assert_eq!(
            run(&ids, None, "s3:GetObject", "arn:aws:s3:::b/*?$", &none()),
            Ok(allowed("Special", "Star"))
        );
        assert_eq!(
            run(&ids, None, "s3:GetObject", "arn:aws:s3:::b/ab$", &none()),
            Ok(Decision::ImplicitDeny)
        );
        let anon = "arn:aws:s3:::b/anonymous/x";
        assert_eq!(
            run(&ids, None, "s3:PutObject", anon, &none()),
            Ok(allowed("Special", "Anon"))
        );
        let id = context(&[("aws:userid", &["AIDA1"])]);
        assert_eq!(run(&ids, None, "s3:PutObject", anon, &id), Ok(Decision::ImplicitDeny));
        assert_eq!(
            run(&ids, None, "s3:PutObject", "arn:aws:s3:::b/AIDA1/x", &id),
            Ok(allowed("Special", "Anon"))
        );
        // A substituted value is request data, so its `*` is a literal character, not a wildcard.
        let star = context(&[("aws:userid", &["*"])]);
        assert_eq!(
            run(&ids, None, "s3:PutObject", "arn:aws:s3:::b/*/x", &star),
            Ok(allowed("Special", "Anon"))
        );
        assert_eq!(
            run(&ids, None, "s3:PutObject", "arn:aws:s3:::b/AIDA1/x", &star),
            Ok(Decision::ImplicitDeny)
        );
        // "Single-valued vs. multivalued context keys": a multivalued key cannot be a policy variable.
        let two = context(&[("aws:userid", &["AIDA1", "AIDA2"])]);
        assert!(run(&ids, None, "s3:PutObject", anon, &two).is_err());
    }

    /// "Permissions boundaries for IAM entities": ShirleyRodriguez's boundary (S3, CloudWatch, EC2).
    fn shirley_boundary() -> Policy {
        policy(
            "ShirleyBoundary",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*"}]}),
        )
    }

    // Permissions boundaries for IAM entities: identity allows iam:* (the DelegatedUserPermissions "IAM"
    // statement) but the boundary allows only S3/CloudWatch/EC2, so iam:CreateUser is denied.
    #[test]
    fn permissions_boundary_caps_allow() {
        let identity = policy(
            "DelegatedUserPermissions",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "IAM", "Effect": "Allow", "Action": "iam:*", "Resource": "*"},
                {"Sid": "S3BucketContents", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}),
        );
        let ids = [identity];
        let boundary = shirley_boundary();
        assert_eq!(
            run(&ids, Some(&boundary), "iam:CreateUser", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
        let got = run(&ids, Some(&boundary), "s3:ListBucket", "*", &none());
        assert_eq!(got, Ok(allowed("DelegatedUserPermissions", "S3BucketContents")));
        // The boundary alone grants nothing.
        assert_eq!(
            run(&[], Some(&boundary), "s3:ListBucket", "*", &none()),
            Ok(Decision::ImplicitDeny)
        );
        let got = run(&ids, None, "iam:CreateUser", "*", &none());
        assert_eq!(got, Ok(allowed("DelegatedUserPermissions", "IAM")));
    }

    // Permissions boundaries for IAM entities: XCompanyBoundaries' DenyS3Logs overrides an identity Allow.
    #[test]
    fn deny_in_boundary_is_explicit() {
        let boundary = policy(
            "XCompanyBoundaries",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "ServiceBoundaries", "Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"],
                 "Resource": "*"},
                {"Sid": "DenyS3Logs", "Effect": "Deny", "Action": "s3:*",
                 "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]}]}),
        );
        let identity = policy(
            "S3Full",
            json!({"Version": "2012-10-17",
                "Statement": {"Sid": "S3", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
        );
        let ids = [identity];
        let logs = "arn:aws:s3:::logs/2024/01.gz";
        assert_eq!(
            run(&ids, Some(&boundary), "s3:GetObject", logs, &none()),
            Ok(denied("XCompanyBoundaries", "DenyS3Logs"))
        );
        let data = "arn:aws:s3:::data/x";
        assert_eq!(
            run(&ids, Some(&boundary), "s3:GetObject", data, &none()),
            Ok(allowed("S3Full", "S3"))
        );
    }

    // Invalid documents are refused: unknown operator, Principal in an identity policy, wrong Version, missing
    // Effect, both Action and NotAction, unsupported operators and variables.
    #[test]
    fn invalid_documents_are_errors() {
        let with_condition = |cond: Value| {
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                "Condition": cond}})
        };
        let bad = [
            with_condition(json!({"StringEqualz": {"aws:username": "a"}})),
            with_condition(json!({"BinaryEquals": {"k": "QmluYXJ5"}})),
            with_condition(json!({"NullIfExists": {"k": "true"}})),
            with_condition(json!({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "team"}})),
            with_condition(json!({"NumericLessThan": {"s3:max-keys": "${aws:username}"}})),
            with_condition(json!({"NumericLessThan": {"s3:max-keys": "1e3"}})),
            with_condition(json!({"StringEquals": {"k": "${aws:userid"}})),
            with_condition(json!({"StringEquals": {"k": []}})),
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "123456789012"},
                "Action": "s3:*", "Resource": "*"}}),
            json!({"Version": "2012-10-18", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}),
            json!({"Version": "2012-10-17", "Statement": {"Action": "s3:*", "Resource": "*"}}),
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*",
                "Resource": "*"}}),
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*"}}),
            json!({"Version": "2012-10-17", "Statement": {"Sid": "has space", "Effect": "Allow", "Action": "s3:*",
                "Resource": "*"}}),
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*",
                "Resource": "arn:aws:${aws:username}:::b"}}),
            json!({"Version": "2012-10-17", "Statement": []}),
        ];
        for document in bad {
            let ids = [policy("Bad", document.clone())];
            // Even a request the statement could never match is refused: the document itself is invalid.
            let got = run(&ids, None, "ec2:RunInstances", "*", &none());
            assert!(got.is_err(), "{document} gave {got:?}");
        }
        // An invalid boundary is refused too.
        let boundary = policy(
            "B",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow",
            "Action": "*", "Resource": "*", "Condition": {"StringEqualz": {"k": "v"}}}}),
        );
        assert!(run(&[], Some(&boundary), "s3:GetObject", "*", &none()).is_err());
    }

    // IAM: Add a specific tag with specific values ("A-123" or "B-456") and "IAM policy elements: Variables and
    // tags" (costCenter 12345 or 67890): several values for one key are ORed.
    #[test]
    fn multiple_values_are_ored() {
        let p = policy(
            "CostCenter",
            json!({"Version": "2012-10-17", "Statement": {"Sid": "Users", "Effect": "Allow", "Action": ["iam:*user*"],
                "Resource": "*", "Condition": {"StringLike": {"iam:ResourceTag/costCenter": ["12345", "67890"]}}}}),
        );
        let ids = [p];
        for value in ["12345", "67890"] {
            let tag = context(&[("iam:ResourceTag/costCenter", &[value])]);
            assert_eq!(
                run(&ids, None, "iam:GetUser", "*", &tag),
                Ok(allowed("CostCenter", "Users")),
                "{value}"
            );
        }
        let tag = context(&[("iam:ResourceTag/costCenter", &["11111"])]);
        assert_eq!(run(&ids, None, "iam:GetUser", "*", &tag), Ok(Decision::ImplicitDeny));
        assert_eq!(run(&ids, None, "iam:GetUser", "*", &none()), Ok(Decision::ImplicitDeny));
    }

    // Conditions with multiple context keys or values: negated operators NOR their values.
    #[test]
    fn negated_multiple_values_are_nored() {
        let p = policy(
            "Roles",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Sid": "DenyOthers", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"StringNotEquals": {"aws:PrincipalTag/role": ["audit", "security"]}}}]}),
        );
        let ids = [p];
        for role in ["audit", "security"] {
            let ctx = context(&[("aws:PrincipalTag/role", &[role])]);
            assert_eq!(
                run(&ids, None, "s3:GetObject", "*", &ctx),
                Ok(allowed("Roles", "All")),
                "{role}"
            );
        }
        let ctx = context(&[("aws:PrincipalTag/role", &["dev"])]);
        assert_eq!(
            run(&ids, None, "s3:GetObject", "*", &ctx),
            Ok(denied("Roles", "DenyOthers"))
        );
    }

    // Conditions with multiple context keys or values: keys in one operator are ANDed, and so are operators
    // (the StringEquals + ArnLike example, here as an identity policy without Principal).
    #[test]
    fn multiple_keys_and_operators_are_anded() {
        let p = policy(
            "Audit",
            json!({"Version": "2012-10-17", "Statement": {"Sid": "Example", "Effect": "Allow",
                "Action": "s3:GetObject", "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*", "Condition": {
                    "StringEquals": {"aws:PrincipalTag/department": ["finance", "hr", "legal"],
                                     "aws:PrincipalTag/role": ["audit", "security"]},
                    "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:user/Ana",
                                                     "arn:aws:iam::222222222222:user/Mary"]}}}}),
        );
        let ids = [p];
        let key = "arn:aws:s3:::amzn-s3-demo-bucket/report";
        let ctx = |dept: &str, role: &str, arn: &str| {
            context(&[
                ("aws:PrincipalTag/department", &[dept]),
                ("aws:PrincipalTag/role", &[role]),
                ("aws:PrincipalArn", &[arn]),
            ])
        };
        let mary = "arn:aws:iam::222222222222:user/Mary";
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &ctx("hr", "audit", mary)),
            Ok(allowed("Audit", "Example"))
        );
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &ctx("it", "audit", mary)),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &ctx("hr", "dev", mary)),
            Ok(Decision::ImplicitDeny)
        );
        let bob = "arn:aws:iam::222222222222:user/Bob";
        assert_eq!(
            run(&ids, None, "s3:GetObject", key, &ctx("hr", "audit", bob)),
            Ok(Decision::ImplicitDeny)
        );
    }

    // Numeric condition operators: s3:max-keys NumericLessThanEquals 10.
    #[test]
    fn numeric_less_than_equals() {
        let p = policy(
            "MaxKeys",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::example_bucket",
                "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}}}),
        );
        let ids = [p];
        let bucket = "arn:aws:s3:::example_bucket";
        for (keys, expected) in [("10", true), ("9.5", true), ("11", false)] {
            let ctx = context(&[("s3:max-keys", &[keys])]);
            let want = if expected {
                allowed("MaxKeys", "#0")
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(run(&ids, None, "s3:ListBucket", bucket, &ctx), Ok(want), "{keys}");
        }
        assert_eq!(
            run(&ids, None, "s3:ListBucket", bucket, &none()),
            Ok(Decision::ImplicitDeny)
        );
        let junk = context(&[("s3:max-keys", &["ten"])]);
        assert!(run(&ids, None, "s3:ListBucket", bucket, &junk).is_err());
    }

    // Date condition operators: aws:TokenIssueTime DateGreaterThan 2020-01-01T00:00:01Z; absent key is false.
    #[test]
    fn date_greater_than() {
        let p = policy(
            "FreshCreds",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",
                "Resource": "arn:aws:iam::123456789012:user/*",
                "Condition": {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}}}}),
        );
        let ids = [p];
        let user = "arn:aws:iam::123456789012:user/bob";
        let at = |t: &str| context(&[("aws:TokenIssueTime", &[t])]);
        let fresh = Ok(allowed("FreshCreds", "#0"));
        assert_eq!(
            run(&ids, None, "iam:ListAccessKeys", user, &at("2020-06-01T12:00:00Z")),
            fresh
        );
        assert_eq!(
            run(&ids, None, "iam:ListAccessKeys", user, &at("2020-01-01T01:00:00+02:00")),
            Ok(Decision::ImplicitDeny)
        );
        // 19:00:02 at UTC-5 is 00:00:02Z, one second after the policy date.
        assert_eq!(
            run(&ids, None, "iam:ListAccessKeys", user, &at("2019-12-31T19:00:02-05:00")),
            fresh
        );
        assert_eq!(run(&ids, None, "iam:ListAccessKeys", user, &at("1577836802")), fresh);
        assert_eq!(
            run(&ids, None, "iam:ListAccessKeys", user, &at("1577836801")),
            Ok(Decision::ImplicitDeny)
        );
        assert_eq!(
            run(&ids, None, "iam:ListAccessKeys", user, &none()),
            Ok(Decision::ImplicitDeny)
        );
    }

    // IP address condition operators: aws:SourceIp in 203.0.113.0/24; an address without prefix means /32.
    #[test]
    fn ip_address() {
        let p = policy(
            "Office",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:*AccessKey*",
                "Resource": "*", "Condition": {"IpAddress": {
                    "aws:SourceIp": ["203.0.113.0/24", "2001:DB8:1234:5678::/64", "198.51.100.7"]}}}}),
        );
        let ids = [p];
        for (ip, ok) in [
            ("203.0.113.9", true),
            ("203.0.114.1", false),
            ("2001:db8:1234:5678::1", true),
            ("198.51.100.7", true),
            ("198.51.100.8", false),
        ] {
            let ctx = context(&[("aws:SourceIp", &[ip])]);
            let want = if ok {
                allowed("Office", "#0")
            } else {
                Decision::ImplicitDeny
            };
            assert_eq!(run(&ids, None, "iam:ListAccessKeys", "*", &ctx), Ok(want), "{ip}");
        }
    }

    // IAM policy elements: Variables and tags — "Key names are case-insensitive": aws:CurrentTime equals
    // AWS:currenttime, in policies and in the request context alike.
    #[test]
    fn condition_key_names_are_case_insensitive() {
        let p = policy(
            "Window",
            json!({"Version": "2012-10-17", "Statement": {"Sid": "Before", "Effect": "Allow", "Action": "s3:*",
                "Resource": "*", "Condition": {"DateLessThan": {"AWS:currenttime": "2030-01-01"}}}}),
        );
        let ids = [p];
        let now = context(&[("aws:CurrentTime", &["2029-12-31T23:59:59Z"])]);
        assert_eq!(
            run(&ids, None, "s3:GetObject", "*", &now),
            Ok(allowed("Window", "Before"))
        );
        let later = context(&[("aws:CurrentTime", &["2030-01-01T00:00:00Z"])]);
        assert_eq!(run(&ids, None, "s3:GetObject", "*", &later), Ok(Decision::ImplicitDeny));
        // Two context keys equal ignoring case cannot be told apart.
        let clash = context(&[
            ("aws:CurrentTime", &["2029-01-01"]),
            ("AWS:CURRENTTIME", &["2031-01-01"]),
        ]);
        assert!(run(&ids, None, "s3:GetObject", "*", &clash).is_err());
    }

    // The difference between explicit and implicit denies: one applicable Deny decides even if another
    // statement cannot be evaluated; but when the outcome depends on it, evaluation fails.
    #[test]
    fn undecidable_statement_only_matters_when_decisive() {
        let p = policy(
            "Mixed",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Numeric", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"NumericGreaterThan": {"s3:max-keys": "100"}}},
                {"Sid": "Tls", "Effect": "Deny", "Action": "s3:*", "Resource": "*",
                 "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                {"Sid": "Allow", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        );
        let ids = [p];
        let junk_plain = context(&[("s3:max-keys", &["lots"]), ("aws:SecureTransport", &["false"])]);
        assert_eq!(
            run(&ids, None, "s3:ListBucket", "*", &junk_plain),
            Ok(denied("Mixed", "Tls"))
        );
        let junk_tls = context(&[("s3:max-keys", &["lots"]), ("aws:SecureTransport", &["true"])]);
        assert!(run(&ids, None, "s3:ListBucket", "*", &junk_tls).is_err());
        // Within one statement, a false condition settles it even when another condition cannot be evaluated.
        let p = policy(
            "OneStatement",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "Both", "Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {
                    "ArnLike": {"aws:SourceArn": "*"}, "Bool": {"aws:SecureTransport": "false"}}},
                {"Sid": "Allow", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}),
        );
        let ids = [p];
        let src = "arn:aws:sns:us-east-1:123456789012:topic";
        let tls = context(&[("aws:SourceArn", &[src]), ("aws:SecureTransport", &["true"])]);
        assert_eq!(
            run(&ids, None, "s3:ListBucket", "*", &tls),
            Ok(allowed("OneStatement", "Allow"))
        );
        let plain = context(&[("aws:SourceArn", &[src]), ("aws:SecureTransport", &["false"])]);
        assert!(run(&ids, None, "s3:ListBucket", "*", &plain).is_err());
    }

    // Single-valued vs. multivalued context keys: a plain operator on a multivalued key is undocumented (the docs
    // only say a set operator is required); this evaluator lets it hold when any request value matches.
    #[test]
    fn plain_operator_on_multivalued_key_matches_any_value() {
        let with = |op: &str| {
            policy(
                "Plain",
                json!({"Version": "2012-10-17", "Statement": {"Sid": "Tags", "Effect": "Allow",
                    "Action": "ec2:CreateTags", "Resource": "*", "Condition": {op: {"aws:TagKeys": "team"}}}}),
            )
        };
        let both = context(&[("aws:TagKeys", &["team", "cost"])]);
        let team = context(&[("aws:TagKeys", &["team"])]);
        let equals = [with("StringEquals")];
        assert_eq!(
            run(&equals, None, "ec2:CreateTags", "*", &both),
            Ok(allowed("Plain", "Tags"))
        );
        let not_equals = [with("StringNotEquals")];
        assert_eq!(
            run(&not_equals, None, "ec2:CreateTags", "*", &both),
            Ok(allowed("Plain", "Tags"))
        );
        assert_eq!(
            run(&not_equals, None, "ec2:CreateTags", "*", &team),
            Ok(Decision::ImplicitDeny)
        );
    }

    // Multivalued context key examples: ForAllValues with a negated operator requires every request value to match none
    // of the policy values (the ForAllValues:StringNotLike key1* example), and is true for an absent key.
    #[test]
    fn for_all_values_with_negated_operator() {
        let p = policy(
            "Prefix",
            json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "DenyRestrictedTags", "Effect": "Deny", "Action": ["iam:Tag*", "iam:UnTag*"], "Resource": "*",
                 "Condition": {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}}},
                {"Sid": "Tagging", "Effect": "Allow", "Action": "iam:Tag*", "Resource": "*"}]}),
        );
        let ids = [p];
        let keys = |ks: &[&str]| context(&[("aws:TagKeys", ks)]);
        let got = run(&ids, None, "iam:TagRole", "*", &keys(&["key2a", "other"]));
        assert_eq!(got, Ok(denied("Prefix", "DenyRestrictedTags")));
        let got = run(&ids, None, "iam:TagRole", "*", &keys(&["key1a", "other"]));
        assert_eq!(got, Ok(allowed("Prefix", "Tagging")));
        assert_eq!(
            run(&ids, None, "iam:TagRole", "*", &none()),
            Ok(denied("Prefix", "DenyRestrictedTags"))
        );
    }
}
