//! `[sequences.NAME]`: type, options and `owned_by` validated as PostgreSQL would at
//! `CREATE SEQUENCE`, options stored in the canonical form of `model::sequence`.

use std::collections::BTreeMap;

use super::{Compiler, Rename};
use crate::diag::{Diagnostic, Span};
use crate::model::sequence::{self, Owner, Sequence};
use crate::model::{ColumnDefault, Model, QualifiedName};
use crate::schema::reader::{Literal, Sp};
use crate::schema::{RawSequence, Sources};

impl Compiler {
    /// Every declared sequence by qualified name (duplicates and names of tables in the same
    /// schema reported).
    pub(super) fn collect_sequences<'a>(
        &mut self,
        sources: &'a Sources,
        tables: &BTreeMap<QualifiedName, Span>,
    ) -> BTreeMap<QualifiedName, &'a RawSequence> {
        let mut out: BTreeMap<QualifiedName, &RawSequence> = BTreeMap::new();
        for f in &sources.files {
            for s in &f.sequences {
                let schema = self.object_schema(s.schema.as_ref(), f.schema.as_ref(), &s.name.span);
                if !self.ident(&s.name, "sequence") {
                    continue;
                }
                let q = QualifiedName::new(schema, s.name.value.clone());
                if let Some(first) = out.get(&q) {
                    let first = first.name.span.clone();
                    self.duplicate("sequence", &s.name, first);
                    continue;
                }
                if let Some(table) = tables.get(&q) {
                    self.push(
                        Diagnostic::new(
                            "duplicate-object",
                            s.name.span.clone(),
                            format!(
                                "sequence `{q}` has the same name as a table; PostgreSQL keeps tables and sequences in one namespace"
                            ),
                        )
                        .label(table.clone(), "the table is defined here")
                        .hint("rename the sequence or the table"),
                    );
                    continue;
                }
                out.insert(q, s);
            }
        }
        out
    }

    /// Compile the sequences into `model` (its tables already there, for `owned_by`), then
    /// fold those that are exactly a serial column's into the column.
    pub(super) fn sequences(
        &mut self,
        raw: &BTreeMap<QualifiedName, &RawSequence>,
        model: &mut Model,
    ) {
        for (q, s) in raw {
            let Some(seq) = self.sequence(q, s, model) else {
                continue;
            };
            if let Some(r) = &s.renamed_from
                && self.ident(r, "sequence")
            {
                self.renames.push(Rename::Sequence {
                    schema: q.schema.clone(),
                    from: r.value.clone(),
                    to: q.name.clone(),
                });
            }
            if let Some(schema) = model.schemas.get_mut(&q.schema) {
                schema.sequences.insert(q.name.clone(), seq);
            }
        }
        sequence::fold_serials(model);
    }

    fn sequence(&mut self, q: &QualifiedName, s: &RawSequence, model: &Model) -> Option<Sequence> {
        let mut ok = true;
        let data_type = match &s.ty {
            None => "bigint".to_string(),
            Some(t) => {
                match canonical_type(&t.value) {
                    Some(c) => c.to_string(),
                    None => {
                        self.push(
                        Diagnostic::new(
                            "invalid-type",
                            t.span.clone(),
                            format!("a sequence cannot be of type `{}`", t.value),
                        )
                        .hint("write `type = \"smallint\"`, \"integer\" or \"bigint\" (the default)"),
                    );
                        ok = false;
                        "bigint".to_string()
                    }
                }
            }
        };
        let mut seq = self.sequence_options(s, data_type, &mut ok);
        if let Some(o) = &s.owned_by {
            match self.owner(q, o, model) {
                Some(owner) => seq.owned_by = Some(owner),
                None => ok = false,
            }
        }
        seq.normalise();
        ok.then_some(seq)
    }

    /// An identity column's sequence options (the table form of `identity`), of the
    /// column's type; None when every option is the default, or when one is invalid (each
    /// reported).
    pub(super) fn identity_options(
        &mut self,
        s: &RawSequence,
        data_type: &str,
    ) -> Option<Box<Sequence>> {
        let mut ok = true;
        let mut seq = self.sequence_options(s, data_type.to_string(), &mut ok);
        seq.normalise();
        (ok && !seq.is_plain()).then(|| Box::new(seq))
    }

    /// The options (and comment) of a sequence of `data_type`, checked as `CREATE SEQUENCE`
    /// would; `ok` cleared on an error.
    fn sequence_options(&mut self, s: &RawSequence, data_type: String, ok: &mut bool) -> Sequence {
        let increment = self.integer(&s.increment, "increment");
        let min_value = self.integer(&s.min_value, "min_value");
        let max_value = self.integer(&s.max_value, "max_value");
        let start = self.integer(&s.start, "start");
        let cache = self.integer(&s.cache, "cache");
        if let (Some(i), Some(lit)) = (increment, &s.increment)
            && i == 0
        {
            self.invalid(
                &lit.span,
                "`increment` must not be zero",
                "write a positive increment, or a negative one for a descending sequence",
            );
            *ok = false;
        }
        if let (Some(c), Some(lit)) = (cache, &s.cache)
            && c < 1
        {
            self.invalid(
                &lit.span,
                format!("`cache` is {c}; it must be at least 1"),
                "write `cache = 1` (no caching) or more",
            );
            *ok = false;
        }
        let seq = Sequence {
            grants: None,
            data_type,
            increment: increment.filter(|i| *i != 0),
            min_value,
            max_value,
            start,
            cache: cache.filter(|c| *c >= 1),
            cycle: s.cycle.as_ref().is_some_and(|c| c.value),
            owned_by: None,
            comment: self.literal_text(&s.comment, "comment"),
        };
        let (lo, hi) = sequence::type_bounds(&seq.data_type).unwrap_or((i64::MIN, i64::MAX));
        for (v, lit, key) in [
            (min_value, &s.min_value, "min_value"),
            (max_value, &s.max_value, "max_value"),
        ] {
            if let (Some(v), Some(lit)) = (v, lit)
                && (v < lo || v > hi)
            {
                self.invalid(
                    &lit.span,
                    format!(
                        "`{key}` {v} is out of range for a {} sequence ({lo} to {hi})",
                        seq.data_type
                    ),
                    "choose a value the sequence's type can hold, or a wider `type`",
                );
                *ok = false;
            }
        }
        if *ok {
            let e = seq.effective();
            let at = |l: &Option<Sp<Literal>>| l.as_ref().map(|l| l.span.clone());
            let span = at(&s.min_value)
                .or(at(&s.max_value))
                .unwrap_or_else(|| s.name.span.clone());
            if e.min_value >= e.max_value {
                self.invalid(
                    &span,
                    format!(
                        "`min_value` ({}) must be less than `max_value` ({})",
                        e.min_value, e.max_value
                    ),
                    "PostgreSQL refuses a sequence whose minimum is not below its maximum",
                );
                *ok = false;
            } else if e.start < e.min_value || e.start > e.max_value {
                let span = at(&s.start).unwrap_or(span);
                self.invalid(
                    &span,
                    format!(
                        "`start` ({}) is outside `min_value` ({}) to `max_value` ({})",
                        e.start, e.min_value, e.max_value
                    ),
                    "choose a start between the minimum and the maximum",
                );
                *ok = false;
            }
        }
        seq
    }

    pub(super) fn invalid(&mut self, span: &Span, message: impl Into<String>, hint: &str) {
        self.push(Diagnostic::new("invalid-value", span.clone(), message.into()).hint(hint));
    }

    /// An integer option (TOML integers are 64-bit, like sequence values).
    fn integer(&mut self, lit: &Option<Sp<Literal>>, key: &str) -> Option<i64> {
        let lit = lit.as_ref()?;
        match &lit.value {
            Literal::Integer(text) => match text.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    self.invalid(
                        &lit.span,
                        format!("`{key}` {text} does not fit in a bigint"),
                        "sequence values are 64-bit integers",
                    );
                    None
                }
            },
            _ => {
                self.invalid(
                    &lit.span,
                    format!("`{key}` must be an integer"),
                    &format!("write `{key} = 1` (a TOML integer, without quotes)"),
                );
                None
            }
        }
    }

    /// `owned_by = "table.column"` (or `schema.table.column` in the sequence's own schema):
    /// a column of a table of the model.
    fn owner(&mut self, q: &QualifiedName, o: &Sp<String>, model: &Model) -> Option<Owner> {
        let parts = match crate::sql::split_qualified(&o.value) {
            Ok(p) => p,
            Err(e) => {
                self.invalid(
                    &o.span,
                    format!("`owned_by`: {e}"),
                    "write `owned_by = \"table.column\"`",
                );
                return None;
            }
        };
        let (table, column) = match parts.as_slice() {
            [t, c] => (t.clone(), c.clone()),
            [s, t, c] if *s == q.schema => (t.clone(), c.clone()),
            [s, _, _] => {
                self.push(
                    Diagnostic::new(
                        "invalid-reference",
                        o.span.clone(),
                        format!(
                            "sequence `{q}` cannot be owned by a table in schema `{s}`"
                        ),
                    )
                    .hint("PostgreSQL requires the owning table in the sequence's schema; move the sequence (`schema = …`)"),
                );
                return None;
            }
            _ => {
                self.invalid(
                    &o.span,
                    format!("`owned_by` = `{}` is not `table.column`", o.value),
                    "write `owned_by = \"table.column\"`",
                );
                return None;
            }
        };
        let tq = QualifiedName::new(q.schema.clone(), table.clone());
        let Some(t) = model.table(&tq) else {
            self.push(
                Diagnostic::new(
                    "invalid-reference",
                    o.span.clone(),
                    format!("`owned_by` names table `{tq}`, which is not defined"),
                )
                .hint("name a table of the sequence's schema (`table.column`)"),
            );
            return None;
        };
        if let Some(c) = t.column(&column)
            && (c.identity.is_some() || matches!(c.default, Some(ColumnDefault::Serial { .. })))
        {
            let what = if c.identity.is_some() {
                "an identity column"
            } else {
                "a serial column"
            };
            self.push(
                Diagnostic::new(
                    "invalid-reference",
                    o.span.clone(),
                    format!(
                        "`owned_by` names `{tq}.{column}`, {what}, which already owns its sequence"
                    ),
                )
                .hint("own the sequence by another column (PostgreSQL would then find two sequences for this column)"),
            );
            return None;
        }
        if t.column(&column).is_none() {
            self.push(
                Diagnostic::new(
                    "invalid-reference",
                    o.span.clone(),
                    format!("`owned_by` names column `{column}`, which table `{tq}` does not have"),
                )
                .hint(super::column_hint(&column, t)),
            );
            return None;
        }
        Some(Owner { table, column })
    }
}

/// `smallint`/`integer`/`bigint` from any of PostgreSQL's spellings.
fn canonical_type(ty: &str) -> Option<&'static str> {
    match ty.trim().to_ascii_lowercase().as_str() {
        "smallint" | "int2" => Some("smallint"),
        "integer" | "int" | "int4" => Some("integer"),
        "bigint" | "int8" => Some("bigint"),
        _ => None,
    }
}
