CREATE OR REPLACE FUNCTION pathway_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM pathway_counts;
    INSERT INTO pathway_counts SELECT * FROM pathway_counts_from_rows();
$$;
CREATE OR REPLACE FUNCTION pathway_counts_from_rows() RETURNS SETOF pathway_counts LANGUAGE sql STABLE AS $$
    SELECT t.tier, p.period, p.period_start, t.code, d.measure, sum(d.n)::bigint
    FROM (SELECT x.* FROM catin_screenings r, LATERAL pathway_of_screening(r) x
          UNION ALL SELECT x.* FROM pregnancies r, LATERAL pathway_of_pregnancy(r) x) d
    CROSS JOIN LATERAL calendar_periods(d.day) p
    CROSS JOIN LATERAL pathway_tiers(d.village_code) t
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(d.n) <> 0
$$;
DROP TRIGGER pathway_months_screenings_inserted ON catin_screenings;
DROP TRIGGER pathway_months_screenings_updated ON catin_screenings;
DROP TRIGGER pathway_months_screenings_deleted ON catin_screenings;
DROP TRIGGER pathway_months_pregnancies_inserted ON pregnancies;
DROP TRIGGER pathway_months_pregnancies_updated ON pregnancies;
DROP TRIGGER pathway_months_pregnancies_deleted ON pregnancies;
DROP TRIGGER pathway_months_tpk_visits_inserted ON tpk_visits;
DROP TRIGGER pathway_months_tpk_visits_updated ON tpk_visits;
DROP TRIGGER pathway_months_tpk_visits_deleted ON tpk_visits;
DROP FUNCTION pathway_of_month(pathway_months);
DROP TABLE pathway_months;
DROP FUNCTION pathway_months_changed();
DROP FUNCTION pathway_months_refresh(uuid[]);
DROP VIEW pathway_months_from_rows;
DROP VIEW pathway_person_months;
DROP FUNCTION months_spanned(date, date);
DELETE FROM pathway_counts WHERE measure IN ('pathway_people', 'tpk_assisted');
