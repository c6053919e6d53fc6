-- A statement that writes measurements changes the weighed months only from the earliest month
-- it touched: a month's status looks back (at the month weighed before it), never forward. The
-- refresh takes that month and compares and rewrites the children's months from it on, not all
-- of them: at a million children an import's chunk spent 123 ms of its 363 ms comparing and
-- rewriting months that could not have changed. The months are still judged from all the
-- children's rows (the month weighed before may be long before), and a child's own change
-- (village, posyandu, birth date, removal) still refreshes all her months. One refresh and one
-- statement builder serve both tables, as before.

DROP FUNCTION weighing_months_refresh(uuid[]);

CREATE FUNCTION weighing_months_refresh(kids uuid[], since date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    fresh weighing_months[];
BEGIN
    SELECT coalesce(array_agg(ROW(n.child_id, n.month, n.village_code, n.posyandu_id, n.status, n.two_t,
                                  n.bgm)::weighing_months), '{}')
    INTO fresh
    FROM weighing_months_from_rows n WHERE n.child_id = ANY (kids) AND n.month >= since;
    DELETE FROM weighing_months w
    WHERE w.child_id = ANY (kids) AND w.month >= since
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
ALTER FUNCTION weighing_months_refresh(uuid[], date) SET plan_cache_mode = force_generic_plan;

-- Which children's months a statement may have moved, and from which month.
CREATE OR REPLACE FUNCTION weighing_months_kids_sql(tab text, op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    WITH span AS (
        SELECT CASE tab WHEN 'measurements'
                   THEN 'r.child_id AS kid, r.measured_on, r.weight_kg, r.waz, r.waz_implausible, r.voided_at'
                   ELSE 'r.id AS kid, r.village_code, r.posyandu_id, r.birth_date, r.deleted_at' END AS s,
               CASE tab WHEN 'measurements' THEN 'date_trunc(''month'', min(d.measured_on))::date'
                   ELSE '''-infinity''::date' END AS since
    )
    SELECT format('PERFORM weighing_months_refresh(k.kids, k.since) '
                  'FROM (SELECT array_agg(DISTINCT d.kid ORDER BY d.kid) AS kids, %s AS since FROM (%s) d) k '
                  'WHERE k.kids IS NOT NULL',
                  since,
                  CASE op WHEN 'INSERT' THEN format('SELECT %s FROM came r', s)
                          WHEN 'DELETE' THEN format('SELECT %s FROM gone r', s)
                          ELSE format('(SELECT %1$s FROM gone r EXCEPT SELECT %1$s FROM came r) '
                                      'UNION (SELECT %1$s FROM came r EXCEPT SELECT %1$s FROM gone r)', s) END)
    FROM span
$$;

-- The trigger function regenerated from the builder (as migration 000036 made it).
DO $$
BEGIN
    PERFORM trigger_function_with('weighing_months_changed', ARRAY(
        SELECT ARRAY[format('TG_TABLE_NAME = %L AND TG_OP = %L', tab, op), weighing_months_kids_sql(tab, op)]
        FROM (VALUES ('measurements', 'INSERT'), ('measurements', 'UPDATE'), ('measurements', 'DELETE'),
                     ('children', 'UPDATE'), ('children', 'DELETE')) t (tab, op)));
END;
$$;
