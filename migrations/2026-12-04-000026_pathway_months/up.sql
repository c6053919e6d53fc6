-- The TPK's reach: for each person of the pathway and month, whether her records place her in
-- the pathway that month and whether a TPK visited her, kept so that "people assisted at least
-- once in the month" counts each person once however many visits she had. A person is in the
-- pathway in a month when it holds
-- - a day from a living catin screening to the planned wedding (the screening's month when no
--   wedding is planned; at most a year);
-- - a day from a living pregnancy's HPHT to its end, and 42 days after a delivery (an open
--   pregnancy: to its due date and 42 days after);
-- - a living TPK visit to her (the team found her one of its people).
-- Children are not people here: a visit to a child is not counted.
CREATE TABLE pathway_months (
    person_id     uuid NOT NULL,
    month         date NOT NULL,
    village_code  text COLLATE "C" NOT NULL,
    assisted      boolean NOT NULL,
    PRIMARY KEY (person_id, month)
);
-- A range that is not a calendar period counts the months starting in it, by region.
CREATE INDEX pathway_months_village_idx ON pathway_months (village_code, month);

-- The first day of each month from the one holding `first` to the one holding `last`.
CREATE FUNCTION months_spanned(first date, last date) RETURNS SETOF date
LANGUAGE sql IMMUTABLE AS $$
    SELECT generate_series(date_trunc('month', first), date_trunc('month', last), interval '1 month')::date
$$;

-- Each month a row places a person in the pathway.
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

-- What pathway_months must hold. A filter on person_id reaches each row's index.
CREATE VIEW pathway_months_from_rows AS
    SELECT person_id, month, min(village_code) AS village_code, bool_or(assisted) AS assisted
    FROM pathway_person_months
    GROUP BY 1, 2;

-- Brings these people's months in line with their rows, writing only the months that differ
-- (their counts follow through the triggers below). Every writer about a person holds her row
-- lock, so two refreshes of one person do not interleave.
CREATE FUNCTION pathway_months_refresh(people uuid[]) RETURNS void LANGUAGE sql AS $$
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

-- A statement changed screenings, pregnancies or TPK visits: refresh the people whose rows
-- changed in a way that moves their months (a pregnancy's recounted visits do not).
CREATE FUNCTION pathway_months_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    people uuid[];
    span text := CASE TG_TABLE_NAME
        WHEN 'catin_screenings' THEN 'r.person_id, r.village_code, r.screened_on, r.wedding_planned_on, r.voided_at'
        WHEN 'pregnancies' THEN 'r.person_id, r.village_code, r.lmp_on, r.due_on, r.outcome, r.ended_on, r.deleted_at'
        ELSE 'r.person_id, r.village_code, r.visited_on, r.voided_at' END;
    changed text := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT %s FROM came r', span)
        WHEN 'DELETE' THEN format('SELECT %s FROM gone r', span)
        -- A row the same as it was (in what places her) changes nothing.
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

CREATE TRIGGER pathway_months_screenings_inserted AFTER INSERT ON catin_screenings REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_screenings_updated AFTER UPDATE ON catin_screenings REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_screenings_deleted AFTER DELETE ON catin_screenings REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_pregnancies_inserted AFTER INSERT ON pregnancies REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_pregnancies_updated AFTER UPDATE ON pregnancies REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_pregnancies_deleted AFTER DELETE ON pregnancies REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_tpk_visits_inserted AFTER INSERT ON tpk_visits REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_tpk_visits_updated AFTER UPDATE ON tpk_visits REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();
CREATE TRIGGER pathway_months_tpk_visits_deleted AFTER DELETE ON tpk_visits REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_months_changed();

-- What one person-month counts: one of the pathway's people, and assisted when visited.
CREATE FUNCTION pathway_of_month(r pathway_months)
RETURNS TABLE (day date, village_code text, measure text, n bigint)
LANGUAGE sql IMMUTABLE AS $$
    SELECT r.month, r.village_code, m, 1::bigint
    FROM unnest(ARRAY['pathway_people'] || CASE WHEN r.assisted THEN ARRAY['tpk_assisted'] ELSE '{}'::text[] END) m
$$;

CREATE TRIGGER pathway_months_inserted AFTER INSERT ON pathway_months REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_month');
CREATE TRIGGER pathway_months_updated AFTER UPDATE ON pathway_months REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_month');
CREATE TRIGGER pathway_months_deleted AFTER DELETE ON pathway_months REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_changed('pathway_of_month');

-- Every count as the rows give it, person-months included (recomputed from their rows, so a
-- drifted pathway_months shows too).
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

CREATE OR REPLACE FUNCTION pathway_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE pathway_months DISABLE TRIGGER USER;
    DELETE FROM pathway_months;
    INSERT INTO pathway_months SELECT * FROM pathway_months_from_rows;
    ALTER TABLE pathway_months ENABLE TRIGGER USER;
    DELETE FROM pathway_counts;
    INSERT INTO pathway_counts SELECT * FROM pathway_counts_from_rows();
$$;
SELECT pathway_counts_rebuild();
