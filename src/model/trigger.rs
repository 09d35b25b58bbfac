//! Triggers (`[tables.T.triggers.NAME]`): a table's `CREATE [CONSTRAINT] TRIGGER`, with the
//! function it executes, and whether it fires (`ENABLE`/`DISABLE TRIGGER`).

use serde::{Deserialize, Serialize};

use super::{Deferrable, Expr, QualifiedName, is_false};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub timing: Timing,
    /// In PostgreSQL's order: insert, delete, update, truncate.
    pub events: Vec<Event>,
    /// `UPDATE OF` these columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub for_each_row: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<Expr>,
    pub function: QualifiedName,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_table: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_table: Option<String>,
    /// `CREATE CONSTRAINT TRIGGER`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub constraint: bool,
    #[serde(default, skip_serializing_if = "Deferrable::is_no")]
    pub deferrable: Deferrable,
    #[serde(default, skip_serializing_if = "Enabled::is_default")]
    pub enabled: Enabled,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Trigger {
    /// Equal apart from whether it fires and the comment (changed in place).
    pub fn same_definition(&self, o: &Trigger) -> bool {
        Trigger {
            enabled: o.enabled,
            comment: o.comment.clone(),
            ..self.clone()
        } == *o
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    Before,
    After,
    InsteadOf,
}

impl Timing {
    pub fn parse(s: &str) -> Option<Timing> {
        Some(match s {
            "before" => Timing::Before,
            "after" => Timing::After,
            "instead_of" | "instead of" => Timing::InsteadOf,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Timing::Before => "BEFORE",
            Timing::After => "AFTER",
            Timing::InsteadOf => "INSTEAD OF",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    Insert,
    Delete,
    Update,
    Truncate,
}

impl Event {
    pub fn parse(s: &str) -> Option<Event> {
        Some(match s {
            "insert" => Event::Insert,
            "delete" => Event::Delete,
            "update" => Event::Update,
            "truncate" => Event::Truncate,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Event::Insert => "INSERT",
            Event::Delete => "DELETE",
            Event::Update => "UPDATE",
            Event::Truncate => "TRUNCATE",
        }
    }
}

/// `pg_trigger.tgenabled`: fires normally (`origin`), never (`disabled`), only in replica
/// sessions (`replica`) or always (`always`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Enabled {
    #[default]
    Origin,
    Disabled,
    Replica,
    Always,
}

impl Enabled {
    fn is_default(&self) -> bool {
        *self == Enabled::Origin
    }

    pub fn parse(s: &str) -> Option<Enabled> {
        Some(match s {
            "origin" | "O" => Enabled::Origin,
            "disabled" | "D" => Enabled::Disabled,
            "replica" | "R" => Enabled::Replica,
            "always" | "A" => Enabled::Always,
            _ => return None,
        })
    }
}

/// The `WHEN` condition from `pg_get_triggerdef`'s output: the parenthesised text after
/// ` WHEN `, without its outer parentheses.
pub fn when_from_triggerdef(def: &str) -> Option<&str> {
    let start = def.find(" WHEN (")? + " WHEN ".len();
    let bytes = def.as_bytes();
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'\'' | b'"' => quote = Some(b),
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(&def[start + 1..i]);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_is_cut_from_the_definition() {
        let def = "CREATE TRIGGER t BEFORE UPDATE ON public.film FOR EACH ROW WHEN ((old.title IS DISTINCT FROM new.title)) EXECUTE FUNCTION f(')')";
        assert_eq!(
            when_from_triggerdef(def),
            Some("(old.title IS DISTINCT FROM new.title)")
        );
        assert_eq!(
            when_from_triggerdef("CREATE TRIGGER t ... EXECUTE FUNCTION f()"),
            None
        );
    }

    #[test]
    fn row_references_parse() {
        let a = Expr::parse("OLD.title IS DISTINCT FROM NEW.title").unwrap();
        let b = Expr::parse("(old.title IS DISTINCT FROM new.title)").unwrap();
        assert_eq!(a.canonical(), b.canonical());
    }
}
