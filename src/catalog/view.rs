//! Views and materialized views from the catalog, and the server's form of declared queries.

use postgres::Row;

use super::Reader;
use crate::model::view::{CheckOption, Query};
use crate::model::{Model, View};
use crate::sql::{quote_ident, quote_literal};

impl Reader<'_> {
    pub(super) fn views(&mut self, rows: &[Row]) {
        for row in rows {
            let schema: String = row.get(0);
            let name: String = row.get(1);
            if self.ignored(&schema, &name) {
                continue;
            }
            let kind: String = row.get(2);
            let def: Option<String> = row.get(3);
            let options: Vec<String> = row.get(4);
            let Some(def) = def else {
                self.skip(format!("view `{schema}.{name}`: no definition"));
                continue;
            };
            let mut view = View {
                query: Query {
                    text: def.trim().trim_end_matches(';').to_string(),
                    catalog_form: Some(def),
                },
                comment: row.get(5),
                ..View::default()
            };
            let names: Vec<String> = row.get(6);
            let texts: Vec<String> = row.get(7);
            view.column_comments = names.into_iter().zip(texts).collect();
            for o in &options {
                match o.split_once('=') {
                    Some(("security_barrier", v)) => view.security_barrier = v == "true",
                    Some(("security_invoker", v)) => view.security_invoker = v == "true",
                    Some(("check_option", "local")) => view.check_option = Some(CheckOption::Local),
                    Some(("check_option", "cascaded")) => {
                        view.check_option = Some(CheckOption::Cascaded)
                    }
                    _ => self.skip(format!("option `{o}` of view `{schema}.{name}`")),
                }
            }
            let Some(s) = self.model.schemas.get_mut(&schema) else {
                continue;
            };
            if kind == "m" {
                s.materialized_views.insert(name, view);
            } else {
                s.views.insert(name, view);
            }
        }
    }
}

/// The `DO` block that creates every declared view of `model` as a temporary view
/// `schemactl_form_<i>` (a query the server rejects is skipped), or `None` without views.
/// [`server_forms`] runs it; public so the scale bench can run the same statements.
pub fn server_forms_sql(model: &Model) -> Option<String> {
    let mut block = String::from("DO $schemactl$ BEGIN\n");
    let mut any = false;
    for (i, (_, _, v)) in model.views().enumerate() {
        any = true;
        let mut create = format!(
            "CREATE TEMPORARY VIEW {}",
            quote_ident(&format!("schemactl_form_{i}"))
        );
        if !v.columns.is_empty() {
            let cols: Vec<String> = v.columns.iter().map(|c| quote_ident(c)).collect();
            create.push_str(&format!(" ({})", cols.join(", ")));
        }
        create.push_str(&format!(" AS\n{}\n", v.query.sql()));
        block.push_str(&format!(
            "BEGIN EXECUTE {}; EXCEPTION WHEN OTHERS THEN NULL; END;\n",
            quote_literal(&create)
        ));
    }
    block.push_str("END $schemactl$");
    any.then_some(block)
}

/// The stored form of each temporary view [`server_forms_sql`] created: 0 its number, 1
/// `pg_get_viewdef`.
pub const SERVER_FORMS: &str =
    "SELECT substr(c.relname, 16)::int4, pg_catalog.pg_get_viewdef(c.oid)
FROM pg_catalog.pg_class c
WHERE c.relnamespace = pg_catalog.pg_my_temp_schema()
  AND c.relname LIKE 'schemactl\\_form\\_%'";

/// Fill in `catalog_form` of every declared view of `model`: each query is created as a
/// temporary view on the server (inside a transaction that is rolled back, so nothing is
/// left behind) and read back with `pg_get_viewdef`, under the same settings as
/// [`super::read`]. A query the server rejects (it reads something the database lacks)
/// keeps no form and compares by its text. Three round trips whatever the number of views.
pub fn server_forms(
    client: &mut postgres::Client,
    model: &mut Model,
) -> Result<(), postgres::Error> {
    let Some(block) = server_forms_sql(model) else {
        return Ok(());
    };
    let count = model.views().count();
    let mut tx = client.transaction()?;
    tx.batch_execute(&format!("{}; {block}", super::SETTINGS))?;
    let rows = tx.query(SERVER_FORMS, &[])?;
    tx.rollback()?;
    let mut forms: Vec<Option<String>> = vec![None; count];
    for row in rows {
        let i: i32 = row.get(0);
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| forms.get_mut(i)) {
            *slot = row.get(1);
        }
    }
    let mut forms = forms.into_iter();
    for s in model.schemas.values_mut() {
        for v in s
            .views
            .values_mut()
            .chain(s.materialized_views.values_mut())
        {
            v.query.catalog_form = forms.next().flatten();
        }
    }
    Ok(())
}
