//! `[tables.T.triggers.NAME]` and `[views.V.triggers.NAME]`: checked as `CREATE TRIGGER`
//! would check it, the function resolved to a declared trigger function (or one of
//! PostgreSQL's own, or one of an unmanaged schema), compiled into the table or view. A view
//! takes `INSTEAD OF` row triggers on insert, update and delete, and statement-level
//! `BEFORE`/`AFTER` ones; a table never `INSTEAD OF`.

use std::collections::BTreeMap;

use super::Compiler;
use crate::diag::Diagnostic;
use crate::model::trigger::{Enabled, Event, Timing, Trigger};
use crate::model::{Deferrable, Model, QualifiedName};
use crate::schema::{RawTable, RawTrigger, Sources};

/// PostgreSQL's own trigger functions (`pg_catalog`).
const BUILTIN_TRIGGER_FUNCTIONS: &[&str] = &[
    "suppress_redundant_updates_trigger",
    "tsvector_update_trigger",
    "tsvector_update_trigger_column",
];

impl Compiler {
    /// Compile the triggers of every table (after the functions, which they execute).
    pub(super) fn triggers(&mut self, raw: &BTreeMap<QualifiedName, &RawTable>, model: &mut Model) {
        for (q, t) in raw {
            let mut out = BTreeMap::new();
            for x in &t.triggers {
                if !self.ident(&x.name, "trigger") {
                    continue;
                }
                if let Some(trigger) = self.trigger(q, x, model, false) {
                    out.insert(x.name.value.clone(), trigger);
                }
            }
            if let Some(table) = model
                .schemas
                .get_mut(&q.schema)
                .and_then(|s| s.tables.get_mut(&q.name))
            {
                table.triggers = out;
            }
        }
    }

    /// Compile the triggers of every (plain) view that compiled.
    pub(super) fn view_triggers(&mut self, sources: &Sources, model: &mut Model) {
        for f in &sources.files {
            for v in f.views.iter().filter(|v| !v.triggers.is_empty()) {
                let schema = v
                    .schema
                    .as_ref()
                    .or(f.schema.as_ref())
                    .map_or_else(|| "public".to_string(), |s| s.value.clone());
                let q = QualifiedName::new(schema, v.name.value.clone());
                let mut out = BTreeMap::new();
                for x in &v.triggers {
                    if !self.ident(&x.name, "trigger") {
                        continue;
                    }
                    if let Some(trigger) = self.trigger(&q, x, model, true) {
                        out.insert(x.name.value.clone(), trigger);
                    }
                }
                if let Some(view) = model
                    .schemas
                    .get_mut(&q.schema)
                    .and_then(|s| s.views.get_mut(&q.name))
                {
                    view.triggers = out;
                }
            }
        }
    }

    fn trigger(
        &mut self,
        q: &QualifiedName,
        x: &RawTrigger,
        model: &Model,
        on_view: bool,
    ) -> Option<Trigger> {
        let what = format!("trigger `{}` on `{q}`", x.name.value);
        let missing = |c: &mut Compiler, key: &str, hint: &str| {
            c.push(
                Diagnostic::new(
                    "missing-key",
                    x.name.span.clone(),
                    format!("{what} has no `{key}`"),
                )
                .hint(hint),
            );
        };
        let mut ok = true;
        let timing = match &x.timing {
            None => {
                missing(self, "timing", "add `timing = \"before\"` (or \"after\")");
                return None;
            }
            Some(t) => match Timing::parse(&t.value.to_ascii_lowercase()) {
                Some(Timing::InsteadOf) if !on_view => {
                    self.invalid(
                        &t.span,
                        "`instead_of` triggers are for views; this is a table",
                        "write `timing = \"before\"` or \"after\"",
                    );
                    return None;
                }
                Some(x) => x,
                None => {
                    self.invalid(
                        &t.span,
                        format!("unknown timing `{}`", t.value),
                        "write \"before\" or \"after\"",
                    );
                    return None;
                }
            },
        };
        let mut events = Vec::new();
        match &x.events {
            None => {
                missing(self, "events", "add `events = [\"insert\", \"update\"]`");
                ok = false;
            }
            Some(list) if list.value.is_empty() => {
                self.invalid(&list.span, "`events` is empty", "list at least one event");
                ok = false;
            }
            Some(list) => {
                for e in &list.value {
                    match Event::parse(&e.value.to_ascii_lowercase()) {
                        Some(ev) => events.push(ev),
                        None => {
                            self.invalid(
                                &e.span,
                                format!("unknown event `{}`", e.value),
                                "write \"insert\", \"update\", \"delete\" or \"truncate\"",
                            );
                            ok = false;
                        }
                    }
                }
            }
        }
        events.sort();
        events.dedup();
        let for_each_row = match &x.for_each {
            None => false,
            Some(f) => match f.value.to_ascii_lowercase().as_str() {
                "row" => true,
                "statement" => false,
                _ => {
                    self.invalid(
                        &f.span,
                        format!(
                            "`for_each` must be \"row\" or \"statement\", not `{}`",
                            f.value
                        ),
                        "write `for_each = \"row\"`",
                    );
                    ok = false;
                    false
                }
            },
        };
        if for_each_row
            && events.contains(&Event::Truncate)
            && let Some(list) = &x.events
        {
            self.invalid(
                &list.span,
                "a TRUNCATE trigger fires once per statement",
                "remove \"truncate\", or use `for_each = \"statement\"`",
            );
            ok = false;
        }
        if on_view {
            ok &= self.view_trigger_shape(x, timing, for_each_row, &events);
        }
        let table_columns: Vec<String> = model
            .table(q)
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        let mut columns = Vec::new();
        if let Some(list) = &x.columns {
            if !events.contains(&Event::Update) {
                self.invalid(
                    &list.span,
                    "`columns` (UPDATE OF) needs the \"update\" event",
                    "add \"update\" to `events`, or remove `columns`",
                );
                ok = false;
            }
            for c in &list.value {
                if !table_columns.contains(&c.value) && !table_columns.is_empty() {
                    self.push(
                        Diagnostic::new(
                            "unknown-column",
                            c.span.clone(),
                            format!("{what}: table `{q}` has no column `{}`", c.value),
                        )
                        .hint("list columns of the table"),
                    );
                    ok = false;
                }
                columns.push(c.value.clone());
            }
        }
        let when = match &x.when {
            Some(w) => Some(self.expr(w, "trigger `when`")?),
            None => None,
        };
        let function = match &x.function {
            None => {
                missing(self, "function", "add `function = \"my_trigger_function\"`");
                return None;
            }
            Some(f) => self.trigger_function(f, q, model)?,
        };
        let args = x
            .args
            .as_ref()
            .map(|a| a.value.iter().map(|s| s.value.clone()).collect())
            .unwrap_or_default();
        for (key, v) in [("old_table", &x.old_table), ("new_table", &x.new_table)] {
            if let Some(v) = v {
                if timing != Timing::After {
                    self.invalid(
                        &v.span,
                        format!("`{key}` (a transition table) is only for AFTER triggers"),
                        "use `timing = \"after\"`, or remove it",
                    );
                    ok = false;
                }
                ok &= self.ident(v, "transition table");
            }
        }
        let constraint = x.constraint.as_ref().is_some_and(|b| b.value);
        if let Some(c) = &x.constraint
            && c.value
            && (timing != Timing::After || !for_each_row)
        {
            self.invalid(
                &c.span,
                "a constraint trigger is AFTER … FOR EACH ROW",
                "use `timing = \"after\"` and `for_each = \"row\"`",
            );
            ok = false;
        }
        let deferrable = match &x.deferrable {
            None => Deferrable::No,
            Some(d) => {
                let v = match d.value.to_ascii_lowercase().as_str() {
                    "immediate" => Some(Deferrable::Immediate),
                    "deferred" => Some(Deferrable::Deferred),
                    "no" | "not deferrable" => Some(Deferrable::No),
                    _ => None,
                };
                match v {
                    Some(v) if constraint || v == Deferrable::No => v,
                    Some(_) => {
                        self.invalid(
                            &d.span,
                            "only a constraint trigger can be deferrable",
                            "add `constraint = true`, or remove `deferrable`",
                        );
                        ok = false;
                        Deferrable::No
                    }
                    None => {
                        self.invalid(
                            &d.span,
                            format!("unknown `deferrable` value `{}`", d.value),
                            "write \"immediate\" or \"deferred\"",
                        );
                        ok = false;
                        Deferrable::No
                    }
                }
            }
        };
        let enabled = match &x.enabled {
            None => Enabled::Origin,
            Some(e) => match Enabled::parse(&e.value.to_ascii_lowercase()) {
                Some(v) => v,
                None => {
                    self.invalid(
                        &e.span,
                        format!("unknown `enabled` value `{}`", e.value),
                        "write \"origin\" (the default), \"disabled\", \"replica\" or \"always\"",
                    );
                    ok = false;
                    Enabled::Origin
                }
            },
        };
        let comment = self.literal_text(&x.comment, "comment");
        ok.then_some(Trigger {
            timing,
            events,
            columns,
            for_each_row,
            when,
            function,
            args,
            old_table: x.old_table.as_ref().map(|v| v.value.clone()),
            new_table: x.new_table.as_ref().map(|v| v.value.clone()),
            constraint,
            deferrable,
            enabled,
            comment,
        })
    }

    /// What PostgreSQL allows on a view: `INSTEAD OF` row triggers on insert, update and
    /// delete, with no `WHEN`, `UPDATE OF`, transition tables or constraint; other timings
    /// per statement; never disabled (`ALTER TABLE … DISABLE TRIGGER` refuses views).
    fn view_trigger_shape(
        &mut self,
        x: &RawTrigger,
        timing: Timing,
        for_each_row: bool,
        events: &[Event],
    ) -> bool {
        let at = |o: &Option<crate::schema::reader::Sp<String>>| o.as_ref().map(|s| s.span.clone());
        let mut problems: Vec<(Option<crate::diag::Span>, &str, &str)> = Vec::new();
        if timing == Timing::InsteadOf {
            if !for_each_row {
                problems.push((
                    at(&x.for_each).or_else(|| at(&x.timing)),
                    "an INSTEAD OF trigger fires for each row",
                    "write `for_each = \"row\"`",
                ));
            }
            if events.contains(&Event::Truncate) {
                problems.push((
                    x.events.as_ref().map(|e| e.span.clone()),
                    "an INSTEAD OF trigger fires on insert, update or delete",
                    "remove \"truncate\"",
                ));
            }
            if let Some(c) = &x.columns {
                problems.push((
                    Some(c.span.clone()),
                    "an INSTEAD OF trigger cannot name columns (UPDATE OF)",
                    "remove `columns`",
                ));
            }
            if x.when.is_some() {
                problems.push((
                    at(&x.when),
                    "an INSTEAD OF trigger cannot have a WHEN condition",
                    "test the condition in the trigger function",
                ));
            }
        } else if for_each_row {
            problems.push((
                at(&x.for_each),
                "a BEFORE or AFTER trigger on a view fires per statement",
                "write `for_each = \"statement\"`, or use `timing = \"instead_of\"`",
            ));
        }
        if let Some(c) = &x.constraint
            && c.value
        {
            problems.push((
                Some(c.span.clone()),
                "a view cannot have a constraint trigger",
                "remove `constraint`",
            ));
        }
        for v in [&x.old_table, &x.new_table].into_iter().flatten() {
            problems.push((
                Some(v.span.clone()),
                "a view's trigger cannot have transition tables",
                "remove `old_table` / `new_table`",
            ));
        }
        if let Some(e) = &x.enabled {
            problems.push((
                Some(e.span.clone()),
                "a view's trigger is always enabled (ALTER TABLE … DISABLE TRIGGER refuses views)",
                "remove `enabled`",
            ));
        }
        let ok = problems.is_empty();
        for (span, message, hint) in problems {
            let span = span.unwrap_or_else(|| x.name.span.clone());
            self.invalid(&span, message, hint);
        }
        ok
    }

    /// The function a trigger executes: a declared function returning `trigger` with no
    /// arguments (in the table's schema, then `public`, or where it is qualified), one of
    /// PostgreSQL's own trigger functions, or one of an unmanaged schema.
    fn trigger_function(
        &mut self,
        f: &crate::schema::reader::Sp<String>,
        table: &QualifiedName,
        model: &Model,
    ) -> Option<QualifiedName> {
        let parts = crate::sql::split_qualified(&f.value).unwrap_or_default();
        let declared = super::function::declared_functions(&parts, &table.schema, model);
        if let Some((q, found)) = declared
            && let Some(d) = found.iter().find(|x| x.input_types().is_empty())
        {
            if d.returns.as_deref() != Some("trigger") {
                self.invalid(
                    &f.span,
                    format!("function `{q}` does not return `trigger`"),
                    "a trigger executes a function declared with `returns = \"trigger\"`",
                );
                return None;
            }
            return Some(q);
        }
        match parts.as_slice() {
            [n] | [_, n]
                if BUILTIN_TRIGGER_FUNCTIONS.contains(&n.as_str()) && parts.len() == 1
                    || parts.first().is_some_and(|s| s == "pg_catalog") =>
            {
                return Some(QualifiedName::new("pg_catalog", n.clone()));
            }
            [s, n] if !self.managed.contains(s) => {
                return Some(QualifiedName::new(s.clone(), n.clone()));
            }
            _ => {}
        }
        self.push(
            Diagnostic::new(
                "unknown-function",
                f.span.clone(),
                format!(
                    "trigger function `{}` is not declared (with `returns = \"trigger\"` and no arguments)",
                    f.value
                ),
            )
            .hint("declare it under [functions], or write `schema.function` for one created outside schemactl"),
        );
        None
    }
}
