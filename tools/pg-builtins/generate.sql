-- generate.sql: catalog queries behind functions.tsv / operators.tsv and
-- extensions/*.tsv.  Run by generate.sh once per server / per extension:
--
--   psql -X -q -v outdir=DIR -f generate.sql              -- built-ins (schema pg_catalog)
--   psql -X -q -v outdir=DIR -v ext=NAME -f generate.sql  -- objects owned by extension NAME
--
-- Writes DIR/functions.raw and DIR/operators.raw (tab-separated, no header,
-- no versions column; generate.py merges versions and sorts).
--
-- "Callable" filter (applied to functions): a row is dropped when
--   * any IN/INOUT/VARIADIC argument (proargtypes) is internal or cstring, or
--   * the return type is internal, cstring (type output functions), trigger,
--     event_trigger or one of the *_handler pseudo-types,
-- because such functions cannot be called from a DEFAULT/CHECK expression.
-- Procedures (prokind 'p') are left out: they cannot appear in expressions
-- (PostgreSQL 14-17 have no procedures in pg_catalog anyway).

\set ON_ERROR_STOP 1
SET search_path = pg_catalog, public;   -- format_type() then prints unqualified names
SET datestyle = 'ISO, YMD';
\pset format unaligned
\pset tuples_only on
\pset footer off
\pset null ''
\pset fieldsep '\t'

\if :{?ext}
CREATE TEMP TABLE scope_proc AS
  SELECT d.objid AS oid
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
    AND d.classid = 'pg_proc'::regclass AND e.extname = :'ext';
CREATE TEMP TABLE scope_opr AS
  SELECT d.objid AS oid
  FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
    AND d.classid = 'pg_operator'::regclass AND e.extname = :'ext';
\else
CREATE TEMP TABLE scope_proc AS
  SELECT p.oid FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace;
CREATE TEMP TABLE scope_opr AS
  SELECT o.oid FROM pg_operator o WHERE o.oprnamespace = 'pg_catalog'::regnamespace;
\endif

-- name, min_args, max_args, variadic, kind, arg_types, return_type, volatility
\o :outdir/functions.raw
SELECT p.proname,
       p.pronargs - p.pronargdefaults,
       p.pronargs,
       CASE WHEN p.provariadic <> 0 THEN 1 ELSE 0 END,
       p.prokind,
       coalesce((SELECT string_agg(format_type(a.t, NULL), ',' ORDER BY a.n)
                 FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, n)), ''),
       CASE WHEN p.proretset THEN 'SETOF ' ELSE '' END || format_type(p.prorettype, NULL),
       p.provolatile
FROM pg_proc p
JOIN scope_proc s ON s.oid = p.oid
WHERE p.prokind IN ('f', 'a', 'w')
  AND NOT EXISTS (SELECT 1 FROM unnest(p.proargtypes::oid[]) AS a(t)
                  WHERE a.t IN ('internal'::regtype, 'cstring'::regtype))
  AND p.prorettype NOT IN ('internal'::regtype, 'cstring'::regtype,
                           'trigger'::regtype, 'event_trigger'::regtype,
                           'language_handler'::regtype, 'fdw_handler'::regtype,
                           'index_am_handler'::regtype, 'tsm_handler'::regtype,
                           'table_am_handler'::regtype)
ORDER BY 1, 6, 7;

-- name, left_type ('-' for prefix operators), right_type, result_type
\o :outdir/operators.raw
SELECT o.oprname,
       CASE WHEN o.oprleft = 0 THEN '-' ELSE format_type(o.oprleft, NULL) END,
       CASE WHEN o.oprright = 0 THEN '-' ELSE format_type(o.oprright, NULL) END,
       format_type(o.oprresult, NULL)
FROM pg_operator o
JOIN scope_opr s ON s.oid = o.oid
ORDER BY 1, 2, 3;

-- bookkeeping: what the filter dropped (for README)
\o :outdir/counts.raw
SELECT 'pg_proc_in_scope', count(*) FROM pg_proc p JOIN scope_proc s ON s.oid = p.oid
UNION ALL
SELECT 'procedures_in_scope', count(*) FROM pg_proc p JOIN scope_proc s ON s.oid = p.oid WHERE p.prokind = 'p'
UNION ALL
SELECT 'pg_operator_in_scope', count(*) FROM scope_opr;
\o
