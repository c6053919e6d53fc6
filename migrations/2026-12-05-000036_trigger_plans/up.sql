-- The kept counts' triggers, planned once per session instead of at every statement. They
-- built their statements as text and ran them with EXECUTE, which PostgreSQL plans anew at
-- every call; a weighing ran eight such statements and three SQL functions (planned at every
-- call too) and spent 6.5 ms in its triggers. PL/pgSQL plans its static statements once per
-- session and function, so each trigger function below is regenerated with its statements
-- written out, one branch per table and operation, from the same builders as before (so the
-- recounts and the triggers still share one definition of each count).

-- Regenerates trigger function `name` with one static branch per (condition, statement).
CREATE FUNCTION trigger_function_with(name text, branches text[][]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    body text := '';
    i integer;
BEGIN
    FOR i IN 1 .. array_length(branches, 1) LOOP
        body := body || format(E'%s %s THEN\n    %s;\n', CASE WHEN i = 1 THEN 'IF' ELSE 'ELSIF' END,
                               branches[i][1], branches[i][2]);
    END LOOP;
    EXECUTE format('CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS %L', name,
                   E'BEGIN\n' || body || E'END IF;\nRETURN NULL;\nEND;\n');
END;
$$;

-- The transition tables each operation's trigger sees.
CREATE FUNCTION trigger_sides(op text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE op WHEN 'INSERT' THEN ARRAY['came'] WHEN 'DELETE' THEN ARRAY['gone'] ELSE ARRAY['gone', 'came'] END
$$;

-- SKDN (migration 000033): what a changed child or weighed month adds and takes away.
CREATE FUNCTION skdn_apply_sql(row_function text, op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'INSERT INTO skdn_counts AS c %s ORDER BY 1, 2, 3 '
        'ON CONFLICT (tier, month, area) DO UPDATE SET born = c.born + EXCLUDED.born, '
        'born_kia = c.born_kia + EXCLUDED.born_kia, weighed = c.weighed + EXCLUDED.weighed, '
        'rose = c.rose + EXCLUDED.rose, not_rose = c.not_rose + EXCLUDED.not_rose, '
        'missed_last = c.missed_last + EXCLUDED.missed_last, new = c.new + EXCLUDED.new, '
        'two_t = c.two_t + EXCLUDED.two_t, bgm = c.bgm + EXCLUDED.bgm',
        skdn_pivot_sql((SELECT string_agg(format('SELECT x.month, x.village_code, x.posyandu_id, x.measure, %s '
                                                 'FROM %s r, LATERAL %I(r) x',
                                                 CASE side WHEN 'gone' THEN '-x.n AS n' ELSE 'x.n' END,
                                                 side, row_function), ' UNION ALL ')
                        FROM unnest(trigger_sides(op)) side)))
$$;

DO $$
BEGIN
    PERFORM trigger_function_with('skdn_changed', ARRAY(
        SELECT ARRAY[format('TG_TABLE_NAME = %L AND TG_OP = %L', t.tab, op), skdn_apply_sql(t.fn, op)]
        FROM (VALUES ('children', 'skdn_of_child'), ('weighing_months', 'skdn_of_weighing')) t (tab, fn),
             unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) op));
END;
$$;

-- The weighed months of the children a statement touched, recomputed: the kbm_min_gain row is
-- joined (kbm_grams, a function with a query, ran once per month of every child touched).
CREATE OR REPLACE VIEW weighing_months_from_rows AS
WITH latest AS (
    SELECT DISTINCT ON (m.child_id, date_trunc('month', m.measured_on))
           m.child_id, date_trunc('month', m.measured_on)::date AS month, m.measured_on, m.weight_kg,
           coalesce(m.waz < -3 AND NOT m.waz_implausible, false) AS bgm
    FROM measurements m
    WHERE m.voided_at IS NULL AND m.weight_kg IS NOT NULL
    ORDER BY m.child_id, date_trunc('month', m.measured_on), m.measured_on DESC, m.created_at DESC, m.id DESC
), paired AS (
    SELECT l.*, lag(l.month) OVER w AS last_month, lag(l.weight_kg) OVER w AS last_weight
    FROM latest l
    WINDOW w AS (PARTITION BY l.child_id ORDER BY l.month)
), judged AS (
    SELECT p.child_id, p.month, c.village_code, c.posyandu_id, p.bgm,
           date_trunc('month', c.birth_date)::date AS born,
           CASE WHEN p.last_month IS NULL THEN 'new'
                WHEN p.last_month < (p.month - interval '1 month')::date THEN 'missed_last'
                WHEN round(((p.weight_kg - p.last_weight) * 1000)::numeric) >= k.min_gain_g THEN 'rose'
                ELSE 'not_rose' END AS status
    FROM paired p
    JOIN children c ON c.id = p.child_id
    LEFT JOIN kbm_min_gain k
           ON k.age_months = least(59, greatest(1, (extract(year FROM age(p.measured_on, c.birth_date)) * 12
                                                    + extract(month FROM age(p.measured_on, c.birth_date)))::integer))
    WHERE c.deleted_at IS NULL
)
SELECT j.child_id, j.month, j.village_code, j.posyandu_id, j.status,
       coalesce(j.status = 'not_rose'
                AND lag(j.status) OVER (PARTITION BY j.child_id ORDER BY j.month) = 'not_rose', false) AS two_t,
       j.bgm
FROM judged j
WHERE j.month BETWEEN j.born AND (j.born + interval '59 months')::date;

-- The refresh reads the children's months from their rows once (it read them twice).
CREATE OR REPLACE FUNCTION weighing_months_refresh(kids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fresh weighing_months[];
BEGIN
    SELECT coalesce(array_agg(ROW(n.child_id, n.month, n.village_code, n.posyandu_id, n.status, n.two_t,
                                  n.bgm)::weighing_months), '{}')
    INTO fresh
    FROM weighing_months_from_rows n WHERE n.child_id = ANY (kids);
    DELETE FROM weighing_months w
    WHERE w.child_id = ANY (kids)
      AND NOT EXISTS (SELECT 1 FROM unnest(fresh) n
                      WHERE (n.child_id, n.month) = (w.child_id, w.month)
                        AND (n.village_code, n.posyandu_id, n.status, n.two_t, n.bgm)
                            IS NOT DISTINCT FROM (w.village_code, w.posyandu_id, w.status, w.two_t, w.bgm));
    INSERT INTO weighing_months
    SELECT n.* FROM unnest(fresh) n
    WHERE NOT EXISTS (SELECT 1 FROM weighing_months w WHERE (w.child_id, w.month) = (n.child_id, n.month))
    ORDER BY 1, 2;
END;
$$;

-- Which children's months a statement may have moved (as weighing_months_changed decided).
CREATE FUNCTION weighing_months_kids_sql(tab text, op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    WITH span AS (
        SELECT CASE tab WHEN 'measurements'
                   THEN 'r.child_id AS kid, r.measured_on, r.weight_kg, r.waz, r.waz_implausible, r.voided_at'
                   ELSE 'r.id AS kid, r.village_code, r.posyandu_id, r.birth_date, r.deleted_at' END AS s
    )
    SELECT format('PERFORM weighing_months_refresh(k.kids) '
                  'FROM (SELECT array_agg(DISTINCT d.kid ORDER BY d.kid) AS kids FROM (%s) d) k '
                  'WHERE k.kids IS NOT NULL',
                  CASE op WHEN 'INSERT' THEN format('SELECT %s FROM came r', s)
                          WHEN 'DELETE' THEN format('SELECT %s FROM gone r', s)
                          ELSE format('(SELECT %1$s FROM gone r EXCEPT SELECT %1$s FROM came r) '
                                      'UNION (SELECT %1$s FROM came r EXCEPT SELECT %1$s FROM gone r)', s) END)
    FROM span
$$;

DO $$
BEGIN
    PERFORM trigger_function_with('weighing_months_changed', ARRAY(
        SELECT ARRAY[format('TG_TABLE_NAME = %L AND TG_OP = %L', tab, op), weighing_months_kids_sql(tab, op)]
        FROM (VALUES ('measurements', 'INSERT'), ('measurements', 'UPDATE'), ('measurements', 'DELETE'),
                     ('children', 'UPDATE'), ('children', 'DELETE')) t (tab, op)));
END;
$$;

-- Data quality (migration 000035): measurements count where their child lives now; a child
-- moved or removed takes her measurements' counts with her.
DO $$
DECLARE
    child text := ' JOIN children c ON c.id = r.child_id AND c.deleted_at IS NULL';
    moved text := '(SELECT o.id, o.village_code AS was, o.deleted_at IS NULL AS was_living, '
                  'n.village_code AS now, n.deleted_at IS NULL AS now_living '
                  'FROM gone o JOIN came n ON n.id = o.id '
                  'WHERE (o.village_code, o.deleted_at IS NULL) IS DISTINCT FROM (n.village_code, n.deleted_at IS NULL))';
BEGIN
    PERFORM trigger_function_with('quality_measurements_changed', ARRAY(
        SELECT ARRAY[format('TG_OP = %L', op), quality_apply_sql((
            SELECT string_agg(quality_contributions_sql(side || ' r' || child, 'c.village_code',
                                                        CASE side WHEN 'gone' THEN -1 ELSE 1 END), ' UNION ALL ')
            FROM unnest(trigger_sides(op)) side))]
        FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) op));
    PERFORM trigger_function_with('quality_children_changed', ARRAY[ARRAY['TG_OP = ''UPDATE''', quality_apply_sql(
        quality_contributions_sql(format('%s c JOIN measurements r ON r.child_id = c.id AND c.was_living', moved),
                                  'c.was', -1)
        || ' UNION ALL '
        || quality_contributions_sql(format('%s c JOIN measurements r ON r.child_id = c.id AND c.now_living', moved),
                                     'c.now', 1))]]);
END;
$$;

-- The prevalence and case counts' shifts were SQL functions, planned at every call.
CREATE OR REPLACE FUNCTION sql_function_as_plpgsql(f regprocedure) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE OR REPLACE FUNCTION %s(%s) RETURNS void LANGUAGE plpgsql AS %L',
                   (SELECT proname FROM pg_proc WHERE oid = f), pg_get_function_arguments(f),
                   E'BEGIN\n' || (SELECT prosrc FROM pg_proc WHERE oid = f) || E';\nEND;\n');
END;
$$;
SELECT sql_function_as_plpgsql('prevalence_shift(jsonb, jsonb)');
SELECT sql_function_as_plpgsql('case_shift(jsonb, jsonb)');
DROP FUNCTION sql_function_as_plpgsql(regprocedure);

-- Functions whose statements take arrays as parameters were planned anew at every call too:
-- PostgreSQL keeps choosing a custom plan, since the generic one cannot see the arrays' sizes
-- and looks dearer. Their generic plans (index probes per child) serve one weighing and an
-- import's chunk of 2,000 alike: a weighing's triggers took 3.4 ms with custom plans, 1.5 ms
-- with generic ones, and a chunk of 2,000 measurements no longer.
ALTER FUNCTION prevalence_measurements_changed(measurements[], measurements[]) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION case_counts_changed(cases[], cases[]) SET plan_cache_mode = force_generic_plan;
ALTER FUNCTION weighing_months_refresh(uuid[]) SET plan_cache_mode = force_generic_plan;
