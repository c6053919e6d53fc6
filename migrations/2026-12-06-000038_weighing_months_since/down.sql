-- The weighed months as migration 000036 left them: every month of each child refreshed.
DROP FUNCTION weighing_months_refresh(uuid[], date);

-- The refresh reads the children's months from their rows once (it read them twice).
CREATE FUNCTION weighing_months_refresh(kids uuid[]) RETURNS void LANGUAGE plpgsql AS $$
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
CREATE OR REPLACE FUNCTION weighing_months_kids_sql(tab text, op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
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
ALTER FUNCTION weighing_months_refresh(uuid[]) SET plan_cache_mode = force_generic_plan;
