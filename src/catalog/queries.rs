//! The catalog queries. Every query takes the managed schema names as ONE `text[]` parameter
//! (`$1`), so the number of round trips never depends on the number of schemas or tables.
//! Column order in each SELECT is the contract with the row readers in `super`.

/// Managed schemas that exist, with their comments.
pub const SCHEMAS: &str = "
SELECT n.nspname::text, pg_catalog.obj_description(n.oid, 'pg_namespace')
FROM pg_catalog.pg_namespace n
WHERE n.nspname = ANY($1)
ORDER BY 1";

/// Every extension except plpgsql, with the schema it lives in.
pub const EXTENSIONS: &str = "
SELECT e.extname::text, n.nspname::text
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname <> 'plpgsql'
ORDER BY 1";

/// Enum types of the managed schemas (not owned by an extension), labels in sort order.
pub const ENUMS: &str = "
SELECT n.nspname::text, t.typname::text,
       ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
             WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       pg_catalog.obj_description(t.oid, 'pg_type')
FROM pg_catalog.pg_type t
JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2";

/// One row per column of every ordinary or partitioned table (not owned by an extension) in
/// the managed schemas; a table without columns, and a partition (whose columns are its
/// parent's), gives one row with NULL column fields.
///
/// Columns: 0 schema, 1 table, 2 table comment, 3 column name, 4 format_type, 5 type's
/// schema, 6 type name, 7 typtype, 8 array element's schema, 9 element name, 10 element
/// typtype, 11 attnotnull, 12 attidentity, 13 attgenerated, 14 default / generation
/// expression, 15 name of the owned serial sequence, 16 collation (only when not the
/// type's default), 17 column comment, 18 relkind, 19 relrowsecurity, 20
/// relforcerowsecurity, 21 an identity column's sequence as `text[]`: start, increment,
/// min, max, cache, cycle (0 or 1), its name and its type; NULL for other columns.
pub const COLUMNS: &str = "
SELECT n.nspname::text, c.relname::text, td.description,
       a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
       tn.nspname::text, t.typname::text, t.typtype::text,
       en.nspname::text, et.typname::text, et.typtype::text,
       a.attnotnull, a.attidentity::text, a.attgenerated::text,
       pg_catalog.pg_get_expr(ad.adbin, ad.adrelid),
       (SELECT s.relname::text
        FROM pg_catalog.pg_depend dep
        JOIN pg_catalog.pg_class s ON s.oid = dep.objid
        JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = s.oid
        WHERE dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
          AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
          AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'a'
          AND s.relkind = 'S' AND s.relnamespace = c.relnamespace
          AND sq.seqtypid = a.atttypid
          AND a.attidentity = '' AND a.attgenerated = '' AND ad.adbin IS NOT NULL
          AND pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) =
              'nextval(''' || pg_catalog.replace(s.oid::pg_catalog.regclass::text, '''', '''''')
              || '''::regclass)'
        ORDER BY s.relname LIMIT 1),
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END,
       cd.description,
       c.relkind::text, c.relrowsecurity, c.relforcerowsecurity,
       (SELECT ARRAY[sq.seqstart::text, sq.seqincrement::text, sq.seqmin::text,
                     sq.seqmax::text, sq.seqcache::text, sq.seqcycle::int4::text,
                     sc.relname::text, pg_catalog.format_type(sq.seqtypid, NULL)]
        FROM pg_catalog.pg_depend dep
        JOIN pg_catalog.pg_sequence sq ON sq.seqrelid = dep.objid
        JOIN pg_catalog.pg_class sc ON sc.oid = dep.objid
        WHERE a.attidentity <> ''
          AND dep.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
          AND dep.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
          AND dep.refobjid = c.oid AND dep.refobjsubid = a.attnum AND dep.deptype = 'i'
        LIMIT 1)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND NOT c.relispartition
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typlen = -1
LEFT JOIN pg_catalog.pg_namespace en ON en.oid = et.typnamespace
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_description td
       ON td.objoid = c.oid AND td.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND td.objsubid = 0
LEFT JOIN pg_catalog.pg_description cd
       ON cd.objoid = c.oid AND cd.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND cd.objsubid = a.attnum
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY n.nspname, c.relname, a.attnum";

/// Primary keys, uniques, checks, foreign keys and (to report them) exclusion constraints of
/// tables in the managed schemas. Constraints cloned onto partitions (`conparentid <> 0`:
/// keys and foreign keys of the parent) and checks a partition only inherits (`NOT
/// conislocal`) are left out: they are the parent's.
///
/// Columns: 0 schema, 1 table, 2 name, 3 contype, 4 key column names (conkey order), 5 check
/// expression, 6 referenced schema, 7 referenced table, 8 referenced columns (confkey
/// order), 9 confdeltype, 10 confupdtype, 11 condeferrable, 12 condeferred, 13 convalidated,
/// 14 comment.
pub const CONSTRAINTS: &str = "
SELECT n.nspname::text, c.relname::text, con.conname::text, con.contype::text,
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       CASE WHEN con.contype = 'c' THEN pg_catalog.pg_get_expr(con.conbin, con.conrelid) END,
       rn.nspname::text, rc.relname::text,
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
             ORDER BY k.ord),
       con.confdeltype::text, con.confupdtype::text, con.condeferrable, con.condeferred,
       con.convalidated, d.description
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
LEFT JOIN pg_catalog.pg_description d
       ON d.objoid = con.oid AND d.classoid = 'pg_catalog.pg_constraint'::pg_catalog.regclass
      AND d.objsubid = 0
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
  AND con.conparentid = 0 AND (con.conislocal OR NOT c.relispartition)
ORDER BY 1, 2, 3";

/// Indexes of tables in the managed schemas that do not back a primary key or unique
/// constraint of their table, and are not a partition's copy of an index of its parent
/// (`relispartition` of the index). An index backing an exclusion constraint comes with the
/// constraint's name and operators.
///
/// Columns: 0 schema, 1 table, 2 index name, 3 access method, 4 indisunique, 5 indnkeyatts,
/// 6 column name per position (NULL for expressions), 7 expression text per position (NULL
/// for columns), 8 indoption per key position, 9 predicate, 10 exclusion constraint name,
/// 11 its operator per key (`schema.op` outside `pg_catalog`), 12 the whole definition
/// (`pg_get_indexdef(…, 0, true)`; NULL when no key can print an operator class, see below),
/// 13 each position's key as that definition prints it,
/// 14 the operator class per key position as the definition would print it (quoted,
/// qualified when not visible), 15 the same in the model's spelling (`schema.name` only
/// outside `pg_catalog` and `public`), 16 the index's comment, 17 the exclusion
/// constraint's comment, 18 `indisvalid`, 19 and 20 the exclusion constraint's
/// `condeferrable` and `condeferred` (false without one).
///
/// The definition prints a key's operator class only when it is not the default for the
/// key's type and method (`get_opclass_name`, which asks `GetDefaultOpClass` with the type
/// of the column or expression — not visible from SQL for expressions), so an operator class
/// is the model's when it follows its key there. Only indexes that may print one get the
/// definition (it costs about as much as the rest of the row): when every key is a column
/// whose exact type is the `opcintype` of its default operator class, `GetDefaultOpClass`
/// returns that class (an exact match wins), nothing is printed, and the definition is
/// NULL. The operator classes are read in one pass (`opcs`), and a key's collation only
/// when it differs from its column's.
///
/// A key with a collation of its own (`(txt COLLATE "C")`, `(lower(txt) COLLATE "C")`) is
/// read as the expression with its `COLLATE`: PostgreSQL strips a top-level `COLLATE` into
/// `indcollation`, and `pg_get_indexdef(…, k, …)` prints the key without it. For a column key
/// the collation is its own when it differs from the column's; for an expression key when
/// the whole definition prints it after that key (the expression's own collation is not
/// visible from SQL).
pub const INDEXES: &str = "
SELECT n.nspname::text, c.relname::text, ic.relname::text, am.amname::text, i.indisunique,
       i.indnkeyatts::int4,
       keys.names,
       keys.exprs,
       i.indoption::int2[]::int4[],
       pg_catalog.pg_get_expr(i.indpred, i.indrelid),
       xc.conname::text,
       CASE WHEN xc.oid IS NOT NULL THEN
         ARRAY(SELECT CASE WHEN o.oprnamespace = 'pg_catalog'::pg_catalog.regnamespace
                           THEN o.oprname::text
                           ELSE pg_catalog.quote_ident(onsp.nspname) || '.' || o.oprname END
               FROM pg_catalog.unnest(xc.conexclop) WITH ORDINALITY x(op, ord)
               JOIN pg_catalog.pg_operator o ON o.oid = x.op
               JOIN pg_catalog.pg_namespace onsp ON onsp.oid = o.oprnamespace
               ORDER BY x.ord)
       END,
       CASE WHEN NOT opcs.all_default
            THEN pg_catalog.pg_get_indexdef(i.indexrelid, 0, true) END,
       keys.printed,
       opcs.printed,
       opcs.model,
       ixd.description,
       CASE WHEN xc.oid IS NOT NULL
            THEN pg_catalog.obj_description(xc.oid, 'pg_constraint') END,
       i.indisvalid,
       COALESCE(xc.condeferrable, false), COALESCE(xc.condeferred, false)
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
CROSS JOIN LATERAL (
  SELECT pg_catalog.array_agg(CASE WHEN s.coll IS NULL THEN s.attname END ORDER BY s.ord)
           AS names,
         pg_catalog.array_agg(CASE WHEN s.attname IS NULL OR s.coll IS NOT NULL
                                   THEN s.expr || COALESCE(' COLLATE ' || s.coll, '') END
                              ORDER BY s.ord) AS exprs,
         pg_catalog.array_agg(s.expr || COALESCE(' COLLATE ' || s.coll, '') ORDER BY s.ord)
           AS printed
  FROM (SELECT t.ord, t.attname, t.expr,
               CASE WHEN t.coll IS NULL THEN NULL
                    WHEN t.attname IS NOT NULL THEN t.coll
                    WHEN pg_catalog.strpos(pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
                                           '(' || t.expr || ' COLLATE ' || t.coll) > 0
                      OR pg_catalog.strpos(pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
                                           ', ' || t.expr || ' COLLATE ' || t.coll) > 0
                    THEN t.coll END AS coll
        FROM (SELECT k.ord, a.attname::text AS attname,
                     CASE WHEN k.attnum = 0
                          THEN pg_catalog.pg_get_indexdef(i.indexrelid, k.ord::int4, true)
                          ELSE pg_catalog.quote_ident(a.attname) END AS expr,
                     CASE WHEN k.ord <= i.indnkeyatts
                               AND i.indcollation[(k.ord - 1)::int4] <> 0
                               AND i.indcollation[(k.ord - 1)::int4]
                                   <> COALESCE(a.attcollation, 0)
                          THEN (SELECT CASE WHEN pg_catalog.pg_collation_is_visible(co.oid)
                                            THEN pg_catalog.quote_ident(co.collname)
                                            ELSE pg_catalog.quote_ident(cn.nspname) || '.'
                                                 || pg_catalog.quote_ident(co.collname) END
                                FROM pg_catalog.pg_collation co
                                JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                                WHERE co.oid = i.indcollation[(k.ord - 1)::int4]) END AS coll
              FROM pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
              LEFT JOIN pg_catalog.pg_attribute a
                     ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum <> 0) t) s
) keys
CROSS JOIN LATERAL (
  SELECT COALESCE(pg_catalog.array_agg(
                    CASE WHEN pg_catalog.pg_opclass_is_visible(oc.oid)
                         THEN pg_catalog.quote_ident(oc.opcname)
                         ELSE pg_catalog.quote_ident(ocn.nspname) || '.'
                              || pg_catalog.quote_ident(oc.opcname) END
                    ORDER BY x.ord), '{}') AS printed,
         COALESCE(pg_catalog.array_agg(
                    CASE WHEN ocn.nspname IN ('pg_catalog', 'public')
                         THEN oc.opcname::text
                         ELSE ocn.nspname::text || '.' || oc.opcname::text END
                    ORDER BY x.ord), '{}') AS model,
         pg_catalog.bool_and(COALESCE(oc.opcdefault AND oc.opcintype = a.atttypid, false))
           AS all_default
  FROM pg_catalog.unnest(i.indclass::oid[]) WITH ORDINALITY x(opc, ord)
  JOIN pg_catalog.pg_opclass oc ON oc.oid = x.opc
  JOIN pg_catalog.pg_namespace ocn ON ocn.oid = oc.opcnamespace
  LEFT JOIN pg_catalog.pg_attribute a
         ON a.attrelid = i.indrelid AND a.attnum = i.indkey[(x.ord - 1)::int4]
        AND i.indkey[(x.ord - 1)::int4] <> 0
) opcs
LEFT JOIN pg_catalog.pg_constraint xc
       ON xc.conindid = i.indexrelid AND xc.conrelid = i.indrelid AND xc.contype = 'x'
LEFT JOIN pg_catalog.pg_description ixd
       ON ixd.objoid = i.indexrelid AND ixd.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
      AND ixd.objsubid = 0
WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'm') AND NOT ic.relispartition
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint con
                  WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid
                    AND con.contype IN ('p', 'u'))
ORDER BY 1, 2, 3";

/// One row per view (`v`) and materialized view (`m`) in the managed schemas, not owned by
/// an extension: 0 schema, 1 name, 2 relkind, 3 `pg_get_viewdef`, 4 reloptions, 5 comment,
/// 6 names of the columns with a comment, 7 their comments (same order).
pub const VIEWS: &str = "
SELECT n.nspname::text, c.relname::text, c.relkind::text, pg_catalog.pg_get_viewdef(c.oid),
       COALESCE(c.reloptions, '{}')::text[], pg_catalog.obj_description(c.oid, 'pg_class'),
       ARRAY(SELECT a.attname::text
             FROM pg_catalog.pg_attribute a
             JOIN pg_catalog.pg_description d
               ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.objsubid = a.attnum
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum),
       ARRAY(SELECT d.description
             FROM pg_catalog.pg_attribute a
             JOIN pg_catalog.pg_description d
               ON d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
              AND d.objsubid = a.attnum
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum)
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('v', 'm') AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2";

/// Sequences of the managed schemas (not owned by an extension, not an identity column's:
/// `pg_depend` deptype `i`, those are part of their column).
///
/// Columns: 0 schema, 1 name, 2 type (`format_type`), 3 seqincrement, 4 seqmin, 5 seqmax,
/// 6 seqstart, 7 seqcache, 8 seqcycle, 9 owning table (OWNED BY, deptype `a`), 10 owning
/// column, 11 comment.
pub const SEQUENCES: &str = "
SELECT n.nspname::text, c.relname::text, pg_catalog.format_type(s.seqtypid, NULL),
       s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle,
       ot.relname::text, oa.attname::text,
       pg_catalog.obj_description(c.oid, 'pg_class')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend d
       ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
      AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'a'
LEFT JOIN pg_catalog.pg_class ot ON ot.oid = d.refobjid
LEFT JOIN pg_catalog.pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
WHERE c.relkind = 'S' AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend x
                  WHERE x.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND x.objid = c.oid AND x.deptype IN ('e', 'i'))
ORDER BY 1, 2";

/// Partitioned tables and partitions of the managed schemas (not owned by an extension).
///
/// Columns: 0 schema, 1 table, 2 `pg_get_partkeydef` (partitioned tables), 3 parent's
/// schema, 4 parent's name, 5 `pg_get_expr(relpartbound)` (partitions).
pub const PARTITIONS: &str = "
SELECT n.nspname::text, c.relname::text,
       CASE WHEN c.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
       pn.nspname::text, pc.relname::text,
       CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_inherits i ON i.inhrelid = c.oid AND c.relispartition
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
WHERE c.relkind IN ('r', 'p') AND (c.relkind = 'p' OR c.relispartition)
  AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2";

/// Domains and stand-alone composite types (`relkind = 'c'`, not a table's row type) of the
/// managed schemas, not owned by an extension: one row per domain and one per attribute of
/// a composite type (one row with NULL attribute fields for a type without attributes).
/// Columns 4 to 10 are laid out as in [`COLUMNS`] (the domain's base type, the attribute's
/// type).
///
/// Columns: 0 schema, 1 type name, 2 comment, 3 attribute name (NULL for a domain), 4
/// format_type, 5 type's schema, 6 type name, 7 typtype, 8 array element's schema, 9 element
/// name, 10 element typtype, 11 collation (only when not the type's default), 12 typnotnull,
/// 13 default, 14 check names, 15 check expressions (same order), 16 `d` or `c`, 17 the
/// attribute number, 18 check comments (same order as the names).
pub const USER_TYPES: &str = "
SELECT n.nspname::text, dt.typname::text, pg_catalog.obj_description(dt.oid, 'pg_type'),
       NULL::text,
       pg_catalog.format_type(dt.typbasetype, dt.typtypmod),
       tn.nspname::text, t.typname::text, t.typtype::text,
       en.nspname::text, et.typname::text, et.typtype::text,
       CASE WHEN dt.typcollation <> t.typcollation THEN co.collname::text END,
       dt.typnotnull,
       pg_catalog.pg_get_expr(dt.typdefaultbin, 0),
       ARRAY(SELECT c.conname::text FROM pg_catalog.pg_constraint c
             WHERE c.contypid = dt.oid AND c.contype = 'c' ORDER BY c.conname),
       ARRAY(SELECT pg_catalog.pg_get_expr(c.conbin, 0) FROM pg_catalog.pg_constraint c
             WHERE c.contypid = dt.oid AND c.contype = 'c' ORDER BY c.conname),
       'd'::text, 0::int2,
       ARRAY(SELECT pg_catalog.obj_description(c.oid, 'pg_constraint')
             FROM pg_catalog.pg_constraint c
             WHERE c.contypid = dt.oid AND c.contype = 'c' ORDER BY c.conname)
FROM pg_catalog.pg_type dt
JOIN pg_catalog.pg_namespace n ON n.oid = dt.typnamespace
JOIN pg_catalog.pg_type t ON t.oid = dt.typbasetype
JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typlen = -1
LEFT JOIN pg_catalog.pg_namespace en ON en.oid = et.typnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = dt.typcollation
WHERE dt.typtype = 'd' AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    AND d.objid = dt.oid AND d.deptype = 'e')
UNION ALL
SELECT n.nspname::text, ct.typname::text, pg_catalog.obj_description(ct.oid, 'pg_type'),
       a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
       tn.nspname::text, t.typname::text, t.typtype::text,
       en.nspname::text, et.typname::text, et.typtype::text,
       CASE WHEN a.attcollation <> t.typcollation THEN co.collname::text END,
       false, NULL::text, ARRAY[]::text[], ARRAY[]::text[],
       'c'::text, a.attnum, ARRAY[]::text[]
FROM pg_catalog.pg_type ct
JOIN pg_catalog.pg_namespace n ON n.oid = ct.typnamespace
JOIN pg_catalog.pg_class c ON c.oid = ct.typrelid AND c.relkind = 'c'
LEFT JOIN pg_catalog.pg_attribute a
       ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace
LEFT JOIN pg_catalog.pg_type et ON et.oid = t.typelem AND t.typlen = -1
LEFT JOIN pg_catalog.pg_namespace en ON en.oid = et.typnamespace
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
WHERE ct.typtype = 'c' AND n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                    AND d.objid = ct.oid AND d.deptype = 'e')
ORDER BY 17, 1, 2, 18";

/// The spelling of the type with oid `$oid` (an SQL expression) that the model uses for
/// routines: types of `pg_catalog` as `format_type` prints them, others `schema.name` with
/// `quote_ident` parts, `[]` after an array's (re-spelled by `model::function::type_spelling`).
macro_rules! routine_type {
    ($oid:literal) => {
        concat!(
            "(SELECT CASE WHEN bt.typnamespace = 'pg_catalog'::pg_catalog.regnamespace
                    THEN pg_catalog.format_type(ty.oid, NULL)
                    ELSE pg_catalog.quote_ident(bn.nspname) || '.'
                         || pg_catalog.quote_ident(bt.typname)
                         || CASE WHEN et.oid IS NULL THEN '' ELSE '[]' END END
        FROM pg_catalog.pg_type ty
        LEFT JOIN pg_catalog.pg_type et
               ON et.oid = ty.typelem AND ty.typcategory = 'A' AND ty.typlen = -1
        JOIN pg_catalog.pg_type bt ON bt.oid = coalesce(et.oid, ty.oid)
        JOIN pg_catalog.pg_namespace bn ON bn.oid = bt.typnamespace
        WHERE ty.oid = ",
            $oid,
            ")"
        )
    };
}

/// Functions and procedures of the managed schemas (not owned by an extension; window
/// functions are not modelled). Argument arrays run over every argument (`proallargtypes`,
/// or `proargtypes` when all are inputs). Types are spelled by `routine_type!`.
///
/// Columns: 0 schema, 1 name, 2 prokind, 3 argument types, 4 modes (empty: all IN), 5 names
/// (NULL: none), 6 defaults (`pg_get_function_arg_default`, NULL where none), 7 result
/// type, 8 proretset, 9 language, 10 prosrc, 11 provolatile, 12 proisstrict, 13 prosecdef,
/// 14 proleakproof, 15 proparallel, 16 procost, 17 prorows, 18 proconfig, 19 comment, 20 has
/// a SQL-standard body.
pub const FUNCTIONS: &str = concat!(
    "
SELECT n.nspname::text, p.proname::text, p.prokind::text,
       ARRAY(SELECT ",
    routine_type!("a.t"),
    "
             FROM unnest(coalesce(p.proallargtypes, p.proargtypes::pg_catalog.oid[]))
                  WITH ORDINALITY AS a(t, i)
             ORDER BY a.i),
       coalesce(p.proargmodes::text[], '{}'::text[]),
       p.proargnames,
       ARRAY(SELECT pg_catalog.pg_get_function_arg_default(p.oid, g.i)
             FROM generate_series(1, coalesce(pg_catalog.array_length(p.proallargtypes, 1),
                                              p.pronargs::int)) AS g(i) ORDER BY g.i),
       ",
    routine_type!("p.prorettype"),
    ",
       p.proretset, l.lanname::text, p.prosrc,
       p.provolatile::text, p.proisstrict, p.prosecdef, p.proleakproof, p.proparallel::text,
       p.procost, p.prorows, p.proconfig,
       pd.description, p.prosqlbody IS NOT NULL
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
LEFT JOIN pg_catalog.pg_description pd
       ON pd.objoid = p.oid AND pd.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass
      AND pd.objsubid = 0
WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2, p.oid"
);

/// Aggregates of the managed schemas (not owned by an extension): plain ones (`aggkind`
/// `n`); column 7 says whether it uses what the model does not hold (combine, serial,
/// moving-aggregate functions, sort operator, ordered-set kinds).
///
/// Columns: 0 schema, 1 name, 2 argument types, 3 state function's schema, 4 its name, 5
/// state type, 6 final function (schema, name; NULL for none), 7 unsupported parts, 8
/// initial condition, 9 comment.
pub const AGGREGATES: &str = concat!(
    "
SELECT n.nspname::text, p.proname::text,
       ARRAY(SELECT ",
    routine_type!("a.t"),
    "
             FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, i)
             ORDER BY a.i),
       sn.nspname::text, sf.proname::text, ",
    routine_type!("g.aggtranstype"),
    ",
       CASE WHEN g.aggfinalfn <> 0 THEN ARRAY[fn.nspname::text, ff.proname::text] END,
       g.aggkind <> 'n' OR g.aggcombinefn <> 0 OR g.aggserialfn <> 0 OR g.aggmtransfn <> 0
         OR g.aggsortop <> 0 OR g.aggfinalextra OR g.aggfinalmodify <> 'r',
       g.agginitval, pg_catalog.obj_description(p.oid, 'pg_proc')
FROM pg_catalog.pg_aggregate g
JOIN pg_catalog.pg_proc p ON p.oid = g.aggfnoid
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_proc sf ON sf.oid = g.aggtransfn
JOIN pg_catalog.pg_namespace sn ON sn.oid = sf.pronamespace
LEFT JOIN pg_catalog.pg_proc ff ON ff.oid = g.aggfinalfn
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = ff.pronamespace
WHERE n.nspname = ANY($1)
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                    AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2, p.oid"
);

/// Triggers of tables and views in the managed schemas: not internal (foreign keys' own), not cloned
/// onto a partition from its parent, not on an extension-owned table.
///
/// Columns: 0 schema, 1 table, 2 name, 3 tgtype, 4 `UPDATE OF` column names, 5
/// `pg_get_triggerdef` (for `WHEN`), 6 function's schema, 7 function's name, 8 tgargs, 9
/// old transition table, 10 new transition table, 11 constraint trigger, 12 tgdeferrable,
/// 13 tginitdeferred, 14 tgenabled, 15 comment.
pub const TRIGGERS: &str = "
SELECT n.nspname::text, c.relname::text, t.tgname::text, t.tgtype::int4,
       ARRAY(SELECT a.attname::text
             FROM unnest(t.tgattr::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, i)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum
             ORDER BY k.i),
       CASE WHEN t.tgqual IS NOT NULL THEN pg_catalog.pg_get_triggerdef(t.oid) END,
       fn.nspname::text, f.proname::text, t.tgargs, t.tgoldtable::text, t.tgnewtable::text,
       t.tgconstraint <> 0, t.tgdeferrable, t.tginitdeferred, t.tgenabled::text,
       td.description
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc f ON f.oid = t.tgfoid
JOIN pg_catalog.pg_namespace fn ON fn.oid = f.pronamespace
LEFT JOIN pg_catalog.pg_description td
       ON td.objoid = t.oid AND td.classoid = 'pg_catalog.pg_trigger'::pg_catalog.regclass
      AND td.objsubid = 0
WHERE n.nspname = ANY($1) AND NOT t.tgisinternal AND t.tgparentid = 0
  AND c.relkind IN ('r', 'p', 'v')
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                    AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3";

/// Every query of a catalog read, named, in the order `catalog::read` sends them (the scale
/// bench runs exactly these through psql).
pub const ALL: &[(&str, &str)] = &[
    ("schemas", SCHEMAS),
    ("extensions", EXTENSIONS),
    ("enums", ENUMS),
    ("user types", USER_TYPES),
    ("columns", COLUMNS),
    ("constraints", CONSTRAINTS),
    ("views", VIEWS),
    ("indexes", INDEXES),
    ("sequences", SEQUENCES),
    ("partitions", PARTITIONS),
    ("functions", FUNCTIONS),
    ("aggregates", AGGREGATES),
    ("triggers", TRIGGERS),
    ("policies", POLICIES),
    ("grants", GRANTS),
];
/// Row-level security policies of tables in the managed schemas.
///
/// Columns: 0 schema, 1 table, 2 policy name, 3 polcmd, 4 polpermissive, 5 role names
/// (`public` for 0), 6 `USING` expression, 7 `WITH CHECK` expression, 8 comment.
pub const POLICIES: &str = "
SELECT n.nspname::text, c.relname::text, p.polname::text, p.polcmd::text, p.polpermissive,
       ARRAY(SELECT CASE WHEN r.oid = 0 THEN 'public'
                         ELSE pg_catalog.pg_get_userbyid(r.oid)::text END
             FROM pg_catalog.unnest(p.polroles) AS r(oid)),
       pg_catalog.pg_get_expr(p.polqual, p.polrelid),
       pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid),
       pg_catalog.obj_description(p.oid, 'pg_policy')
FROM pg_catalog.pg_policy p
JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1)
ORDER BY 1, 2, 3";
/// Privileges (`catalog::grant`): every non-NULL ACL of a managed schema, relation, column
/// of a table, enum, domain or stand-alone composite type, exploded into one row per
/// grantee and privilege, the owner's own entries left out (`grantee` NULL: an ACL with
/// nothing beyond the owner). A NULL ACL (never granted or revoked) is PostgreSQL's default
/// and is not returned. Kinds: `n` schema, `r` relation, `S` sequence, `c` column, `t` type,
/// `d` default privileges of a role in a schema (`name` the role, `col` the object class
/// letter of `pg_default_acl.defaclobjtype`), `f` a function, procedure or aggregate
/// (`args` its input types, spelled by `routine_type!`).
pub const GRANTS: &str = concat!(
    "
WITH acl(kind, schema, name, col, acl, owner, args) AS (
  SELECT 'n'::text, n.nspname::text, n.nspname::text, NULL::text, n.nspacl, n.nspowner,
         NULL::text[]
  FROM pg_catalog.pg_namespace n
  WHERE n.nspname = ANY($1) AND n.nspacl IS NOT NULL
  UNION ALL
  SELECT CASE WHEN c.relkind = 'S' THEN 'S' ELSE 'r' END, n.nspname::text, c.relname::text,
         NULL::text, c.relacl, c.relowner, NULL::text[]
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relacl IS NOT NULL
  UNION ALL
  SELECT 'c', n.nspname::text, c.relname::text, a.attname::text, a.attacl, c.relowner, NULL::text[]
  FROM pg_catalog.pg_attribute a
  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p') AND a.attnum > 0
    AND NOT a.attisdropped AND a.attacl IS NOT NULL
  UNION ALL
  SELECT 't', n.nspname::text, t.typname::text, NULL::text, t.typacl, t.typowner, NULL::text[]
  FROM pg_catalog.pg_type t
  JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
  LEFT JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
  WHERE n.nspname = ANY($1) AND t.typtype IN ('e', 'd', 'c') AND t.typacl IS NOT NULL
    AND (t.typtype <> 'c' OR c.relkind = 'c')
  UNION ALL
  SELECT 'd', n.nspname::text, pg_catalog.pg_get_userbyid(d.defaclrole)::text,
         d.defaclobjtype::text, d.defaclacl, d.defaclrole, NULL::text[]
  FROM pg_catalog.pg_default_acl d
  JOIN pg_catalog.pg_namespace n ON n.oid = d.defaclnamespace
  WHERE n.nspname = ANY($1)
  UNION ALL
  SELECT 'f', n.nspname::text, p.proname::text, NULL::text, p.proacl, p.proowner,
         ARRAY(SELECT ",
    routine_type!("a.t"),
    "
               FROM unnest(p.proargtypes::pg_catalog.oid[]) WITH ORDINALITY AS a(t, i)
               ORDER BY a.i)
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  WHERE n.nspname = ANY($1) AND p.prokind IN ('f', 'p', 'a') AND p.proacl IS NOT NULL
)
SELECT acl.kind, acl.schema, acl.name, acl.col, g.grantee, g.privilege, acl.args
FROM acl
LEFT JOIN LATERAL (
  SELECT CASE WHEN x.grantee = 0 THEN 'public'
              ELSE pg_catalog.pg_get_userbyid(x.grantee)::text END AS grantee,
         pg_catalog.lower(x.privilege_type) AS privilege
  FROM pg_catalog.aclexplode(acl.acl) x
  WHERE x.grantee <> acl.owner
) g ON true
ORDER BY 1, 2, 3, 7, 4, 5, 6"
);
