//! A Markdown summary for a chat message or a pull request: one table row per scenario.

use std::fmt::Write;

use super::view::Overview;

pub fn markdown(overview: &Overview) -> String {
    let t = &overview.totals;
    let mut out = String::new();
    let _ = writeln!(out, "## Disaster-recovery drills, as of {}\n", overview.as_of);
    let _ = writeln!(
        out,
        "{} scenarios · {} passing · {} failing · **{} overdue**{}\n",
        t.scenarios,
        t.passing,
        t.failing,
        t.overdue,
        if overview.include_simulated {
            " · simulated drills counted".to_owned()
        } else {
            format!(
                " · {} simulated drill{} not counted",
                t.runs_simulated,
                if t.runs_simulated == 1 { "" } else { "s" }
            )
        }
    );
    let _ = writeln!(
        out,
        "| Scenario | Last drill | RTO / target | RPO / target | Next due | Streak |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for s in &overview.scenarios {
        let name = if s.simulated_only {
            format!("{} (simulated)", s.name)
        } else {
            s.name.clone()
        };
        let (last, rto, rpo) = match &s.last {
            Some(l) => (
                format!("{} {}", mark(l.outcome), l.date),
                format!("{} / {}", l.rto.text, l.rto.target),
                format!("{} / {}", l.rpo.text, l.rpo.target),
            ),
            None => (
                match &s.last_simulated {
                    Some(sim) => format!("no real drill (simulated: {} {})", sim.outcome, sim.date),
                    None => "never run".to_owned(),
                },
                format!("— / {}", s.rto_target),
                format!("— / {}", s.rpo_target),
            ),
        };
        let due = match (&s.overdue_text, &s.next_due) {
            (Some(why), _) => format!("**OVERDUE** ({why})"),
            (None, Some(at)) => at.clone(),
            (None, None) if s.simulated_only => "not counted".to_owned(),
            (None, None) => "no schedule".to_owned(),
        };
        let streak = if s.simulated_only {
            "—".to_owned()
        } else {
            s.pass_streak.to_string()
        };
        let _ = writeln!(out, "| {} | {last} | {rto} | {rpo} | {due} | {streak} |", cell(&name));
    }
    if !overview.unreadable.is_empty() {
        let _ = writeln!(out, "\n{} history files could not be read:", overview.unreadable.len());
        for u in &overview.unreadable {
            let _ = writeln!(out, "- `{}`: {}", u.name, cell(&u.problem));
        }
    }
    out
}

fn mark(outcome: &str) -> String {
    match outcome {
        "passed" => "✅ passed".to_owned(),
        "failed" => "❌ failed".to_owned(),
        other => format!("⚠️ {other}"),
    }
}

/// A table cell: pipes and line breaks would end it.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}
