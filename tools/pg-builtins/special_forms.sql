-- special_forms.sql: helper used by generate.sh to test each special syntactic
-- form (special_forms.in) on a server.  sf_try() returns
--   ok<TAB>deparsed view text<TAB>backing nodes/functions/operators   or
--   error<TAB>SQLSTATE: message
\set ON_ERROR_STOP 1
SET search_path = pg_catalog;
SET client_min_messages = warning;
CREATE TEMP TABLE sf_t (a int);
CREATE FUNCTION pg_temp.sf_try(sql text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
  def text;
  tree text;
  backing text;
BEGIN
  IF sql ~* '^\s*select' THEN
    EXECUTE 'CREATE TEMP VIEW sf_v AS ' || sql;
    def := regexp_replace(btrim(pg_get_viewdef('sf_v'::regclass)), '\s+', ' ', 'g');
    SELECT r.ev_action::text INTO tree FROM pg_rewrite r WHERE r.ev_class = 'sf_v'::regclass;
    -- node types that carry the semantics, plus every function/operator oid referenced
    SELECT string_agg(DISTINCT x, ' ' ORDER BY x) INTO backing FROM (
      SELECT m[1] AS x FROM regexp_matches(tree, '\{(SQLVALUEFUNCTION|COALESCEEXPR|MINMAXEXPR|NULLIFEXPR|CASEEXPR|XMLEXPR|JSONCONSTRUCTOREXPR|JSONEXPR|JSONISPREDICATE|BOOLEANTEST|NULLTEST|SCALARARRAYOPEXPR|ROWEXPR|ARRAYEXPR|SUBLINK|COLLATEEXPR|RELABELTYPE|COERCEVIAIO|GROUPINGFUNC|DISTINCTEXPR|ROWCOMPAREEXPR|TABLEFUNC|BOOLEXPR|COERCETODOMAIN|JSONVALUEEXPR)\M', 'g') AS m
      UNION
      SELECT 'SQLValueFunction op ' || m[1] FROM regexp_matches(tree, '\{SQLVALUEFUNCTION :op (\d+)', 'g') AS m
      UNION
      SELECT 'func ' || m[2]::oid::regprocedure::text FROM regexp_matches(tree, ':(funcid|aggfnoid|winfnoid) (\d+)', 'g') AS m
      UNION
      SELECT 'op ' || m[1]::oid::regoperator::text FROM regexp_matches(tree, ':opno (\d+)', 'g') AS m
    ) s;
    EXECUTE 'DROP VIEW sf_v';
    RETURN 'ok' || E'\t' || def || E'\t' || coalesce(backing, '');
  ELSE
    EXECUTE sql;
    RETURN 'ok' || E'\t' || '(statement executed)' || E'\t';
  END IF;
EXCEPTION WHEN OTHERS THEN
  RETURN 'error' || E'\t' || SQLSTATE || ': ' || SQLERRM || E'\t';
END
$fn$;
\pset format unaligned
\pset tuples_only on
\pset footer off
