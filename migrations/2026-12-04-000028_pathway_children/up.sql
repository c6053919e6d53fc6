-- Children under two are people of the pathway too: TPK assist "catin, ibu hamil, ibu menyusui
-- dan anak baduta". A child is one of them in the 24 calendar months from the month of its
-- birth. Keeping 24 months per child would write about 150 kept rows with every child
-- registered, so the database keeps births instead: `children_born` counts each living child
-- in the month of its birth, and the service adds up the births of the 23 months before each
-- month (records::stats::pathway). A visit to a child counts, once a month, among its
-- pathway_months (marked `child`, so that the month adds to `tpk_assisted` and not to
-- `pathway_people`, which the births already give), when the month is one of its 24 and the
-- child lives in the village it counts in.
ALTER TABLE pathway_months ADD COLUMN child boolean NOT NULL DEFAULT false;

-- What one child counts: its birth, in its village, while it is not removed.
CREATE FUNCTION pathway_of_child(r children)
RETURNS TABLE (day date, village_code text, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.birth_date, r.village_code, 'children_born', 1::bigint WHERE r.deleted_at IS NULL
$$;

CREATE TRIGGER pathway_children_inserted AFTER INSERT ON children REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_child');
CREATE TRIGGER pathway_children_updated AFTER UPDATE ON children REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_child');
CREATE TRIGGER pathway_children_deleted AFTER DELETE ON children REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_child');

DROP VIEW pathway_months_from_rows;
DROP VIEW pathway_person_months;

CREATE VIEW pathway_person_months AS
    SELECT r.person_id, m AS month, r.village_code, false AS assisted, false AS child
    FROM catin_screenings r,
         months_spanned(r.screened_on,
                        least(greatest(coalesce(r.wedding_planned_on, r.screened_on), r.screened_on),
                              r.screened_on + 365)) m
    WHERE r.voided_at IS NULL
    UNION ALL
    SELECT r.person_id, m, r.village_code, false, false
    FROM pregnancies r,
         months_spanned(r.lmp_on, CASE WHEN r.outcome IS NULL THEN r.due_on + 42
                                       WHEN r.outcome IN ('live_birth', 'stillbirth') THEN r.ended_on + 42
                                       ELSE r.ended_on END) m
    WHERE r.deleted_at IS NULL
    UNION ALL
    SELECT r.person_id, date_trunc('month', r.visited_on)::date, r.village_code, true, false
    FROM tpk_visits r
    WHERE r.voided_at IS NULL AND r.person_id IS NOT NULL
    UNION ALL
    -- A visit to a living child in one of its 24 months, in the village the child lives in.
    SELECT r.child_id, date_trunc('month', r.visited_on)::date, c.village_code, true, true
    FROM tpk_visits r JOIN children c ON c.id = r.child_id
    WHERE r.voided_at IS NULL AND c.deleted_at IS NULL
      AND r.visited_on < date_trunc('month', c.birth_date) + interval '24 months';

CREATE VIEW pathway_months_from_rows AS
    SELECT person_id, month, min(village_code) AS village_code, bool_or(assisted) AS assisted,
           bool_or(child) AS child
    FROM pathway_person_months
    GROUP BY 1, 2;

CREATE OR REPLACE FUNCTION pathway_months_refresh(people uuid[]) RETURNS void LANGUAGE sql AS $$
    DELETE FROM pathway_months m
    WHERE m.person_id = ANY (people)
      AND NOT EXISTS (SELECT 1 FROM pathway_months_from_rows n
                      WHERE n.person_id = ANY (people)
                        AND (n.person_id, n.month, n.village_code, n.assisted, n.child)
                          = (m.person_id, m.month, m.village_code, m.assisted, m.child));
    INSERT INTO pathway_months
    SELECT n.person_id, n.month, n.village_code, n.assisted, n.child FROM pathway_months_from_rows n
    WHERE n.person_id = ANY (people)
      AND NOT EXISTS (SELECT 1 FROM pathway_months m WHERE (m.person_id, m.month) = (n.person_id, n.month))
    ORDER BY 1, 2;
$$;

-- As before, with a visit to a child naming the child, and a child whose birth date, village
-- or removal changed refreshing its visited months.
CREATE OR REPLACE FUNCTION pathway_months_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    people uuid[];
    span text := CASE TG_TABLE_NAME
        WHEN 'catin_screenings' THEN 'r.person_id, r.village_code, r.screened_on, r.wedding_planned_on, r.voided_at'
        WHEN 'pregnancies' THEN 'r.person_id, r.village_code, r.lmp_on, r.due_on, r.outcome, r.ended_on, r.deleted_at'
        WHEN 'children' THEN 'r.id AS person_id, r.village_code, r.birth_date, r.deleted_at'
        ELSE 'coalesce(r.person_id, r.child_id) AS person_id, r.village_code, r.visited_on, r.voided_at' END;
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

-- A child's months come only from visits: a new child has none, and only an update can move them.
CREATE TRIGGER pathway_months_children_updated AFTER UPDATE ON children REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_children_deleted AFTER DELETE ON children REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();

-- A child's visited month is assisted; only a person's month adds to the people (the births
-- give the children's).
CREATE OR REPLACE FUNCTION pathway_of_month(r pathway_months)
RETURNS TABLE (day date, village_code text, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.month, r.village_code, m, 1::bigint
    FROM unnest(CASE WHEN r.child THEN '{}'::text[] ELSE ARRAY['pathway_people'] END
                || CASE WHEN r.assisted THEN ARRAY['tpk_assisted'] ELSE '{}'::text[] END) m
$$;

CREATE OR REPLACE FUNCTION pathway_counts_from_rows() RETURNS SETOF pathway_counts LANGUAGE sql STABLE AS $$
    SELECT t.tier, p.period, p.period_start, t.code, d.measure, sum(d.n)::bigint
    FROM (SELECT x.* FROM catin_screenings r, LATERAL pathway_of_screening(r) x
          UNION ALL SELECT x.* FROM pregnancies r, LATERAL pathway_of_pregnancy(r) x
          UNION ALL SELECT x.* FROM children r, LATERAL pathway_of_child(r) x
          UNION ALL SELECT x.* FROM pathway_months_from_rows r,
              LATERAL pathway_of_month(ROW(r.person_id, r.month, r.village_code, r.assisted, r.child)::pathway_months) x) d
    CROSS JOIN LATERAL calendar_periods(d.day) p
    CROSS JOIN LATERAL pathway_tiers(d.village_code) t
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
$$;

-- The rebuild counts person-months from the table it has just refilled (migration 000027),
-- and now the births.
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
          UNION ALL SELECT x.* FROM children r, LATERAL pathway_of_child(r) x
          UNION ALL SELECT x.* FROM pathway_months r, LATERAL pathway_of_month(r) x) d
    CROSS JOIN LATERAL calendar_periods(d.day) p
    CROSS JOIN LATERAL pathway_tiers(d.village_code) t
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0;
$$;
SELECT pathway_counts_rebuild();
