DROP TRIGGER pathway_months_children_updated ON children;
DROP TRIGGER pathway_months_children_deleted ON children;
DROP TRIGGER pathway_children_inserted ON children;
DROP TRIGGER pathway_children_updated ON children;
DROP TRIGGER pathway_children_deleted ON children;
CREATE OR REPLACE FUNCTION pathway_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE pathway_months DISABLE TRIGGER USER;
    DELETE FROM pathway_months;
    INSERT INTO pathway_months SELECT * FROM pathway_months_from_rows;
    ALTER TABLE pathway_months ENABLE TRIGGER USER;
    DELETE FROM pathway_counts;
    INSERT INTO pathway_counts
    SELECT t.tier, p.period, p.period_start, t.code, d.measure, sum(d.n)::bigint
    FROM (SELECT x.* FROM catin_screenings r, LATERAL pathway_of_screening(r) x
          UNION ALL SELECT x.* FROM pregnancies r, LATERAL pathway_of_pregnancy(r) x
          UNION ALL SELECT x.* FROM pathway_months r, LATERAL pathway_of_month(r) x) d
    CROSS JOIN LATERAL calendar_periods(d.day) p
    CROSS JOIN LATERAL pathway_tiers(d.village_code) t
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0;
$$;
DROP FUNCTION pathway_of_child(children);
DELETE FROM pathway_months WHERE child;
DROP VIEW pathway_months_from_rows;
DROP VIEW pathway_person_months;
-- pathway_of_month and pathway_months_refresh name the column: the old ones come back first.
CREATE OR REPLACE FUNCTION pathway_of_month(r pathway_months)
RETURNS TABLE (day date, village_code text, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.month, r.village_code, m, 1::bigint
    FROM unnest(ARRAY['pathway_people'] || CASE WHEN r.assisted THEN ARRAY['tpk_assisted'] ELSE '{}'::text[] END) m
$$;
ALTER TABLE pathway_months DROP COLUMN child;
CREATE VIEW pathway_person_months AS
    SELECT r.person_id, m AS month, r.village_code, false AS assisted
    FROM catin_screenings r,
         months_spanned(r.screened_on,
                        least(greatest(coalesce(r.wedding_planned_on, r.screened_on), r.screened_on),
                              r.screened_on + 365)) m
    WHERE r.voided_at IS NULL
    UNION ALL
    SELECT r.person_id, m, r.village_code, false
    FROM pregnancies r,
         months_spanned(r.lmp_on, CASE WHEN r.outcome IS NULL THEN r.due_on + 42
                                       WHEN r.outcome IN ('live_birth', 'stillbirth') THEN r.ended_on + 42
                                       ELSE r.ended_on END) m
    WHERE r.deleted_at IS NULL
    UNION ALL
    SELECT r.person_id, date_trunc('month', r.visited_on)::date, r.village_code, true
    FROM tpk_visits r
    WHERE r.voided_at IS NULL AND r.person_id IS NOT NULL;
CREATE VIEW pathway_months_from_rows AS
    SELECT person_id, month, min(village_code) AS village_code, bool_or(assisted) AS assisted
    FROM pathway_person_months
    GROUP BY 1, 2;
CREATE OR REPLACE FUNCTION pathway_months_refresh(people uuid[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM pathway_months m
    WHERE m.person_id = ANY (people)
      AND NOT EXISTS (SELECT 1 FROM pathway_months_from_rows n
                      WHERE n.person_id = ANY (people)
                        AND (n.person_id, n.month, n.village_code, n.assisted)
                          = (m.person_id, m.month, m.village_code, m.assisted));
    INSERT INTO pathway_months
    SELECT n.person_id, n.month, n.village_code, n.assisted FROM pathway_months_from_rows n
    WHERE n.person_id = ANY (people)
      AND NOT EXISTS (SELECT 1 FROM pathway_months m WHERE (m.person_id, m.month) = (n.person_id, n.month))
    ORDER BY 1, 2;
$$;
CREATE OR REPLACE FUNCTION pathway_months_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    people uuid[];
    span text := CASE TG_TABLE_NAME
        WHEN 'catin_screenings' THEN 'r.person_id, r.village_code, r.screened_on, r.wedding_planned_on, r.voided_at'
        WHEN 'pregnancies' THEN 'r.person_id, r.village_code, r.lmp_on, r.due_on, r.outcome, r.ended_on, r.deleted_at'
        ELSE 'r.person_id, r.village_code, r.visited_on, r.voided_at' END;
    changed text := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %s FROM came r', span)
        WHEN 'DELETE' THEN format('SELECT %s FROM gone r', span)
        ELSE format('(SELECT %1$s FROM gone r EXCEPT SELECT %1$s FROM came r) '
                    'UNION (SELECT %1$s FROM came r EXCEPT SELECT %1$s FROM gone r)', span) END;
BEGIN
    EXECUTE format('SELECT array_agg(DISTINCT d.person_id ORDER BY d.person_id) FROM (%s) d WHERE d.person_id IS NOT NULL',
                   changed)
    INTO people;
    IF people IS NOT NULL THEN
        PERFORM pathway_months_refresh(people);
    END IF;
    RETURN NULL;
END;
$$;
CREATE OR REPLACE FUNCTION pathway_counts_from_rows() RETURNS SETOF pathway_counts LANGUAGE sql STABLE AS $$
    SELECT t.tier, p.period, p.period_start, t.code, d.measure, sum(d.n)::bigint
    FROM (SELECT x.* FROM catin_screenings r, LATERAL pathway_of_screening(r) x
          UNION ALL SELECT x.* FROM pregnancies r, LATERAL pathway_of_pregnancy(r) x
          UNION ALL SELECT x.* FROM pathway_months_from_rows r,
              LATERAL pathway_of_month(ROW(r.person_id, r.month, r.village_code, r.assisted)::pathway_months) x) d
    CROSS JOIN LATERAL calendar_periods(d.day) p
    CROSS JOIN LATERAL pathway_tiers(d.village_code) t
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
$$;
SELECT pathway_counts_rebuild();
