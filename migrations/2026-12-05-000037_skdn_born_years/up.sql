-- SKDN's S of a month is the births of the 60 months up to it (migration 000033), so a year's
-- SKDN read 71 kept months an area (2,470 rows for Indonesia by province), most of the
-- answer's time. The calendar years that lie inside the window of every month asked count the
-- same for all of them: births are kept per year too, and a reader takes those years from here
-- (27 rows an area for a year's 12 months).
CREATE TABLE skdn_born_years (
    tier      text NOT NULL CHECK (tier IN ('posyandu', 'village', 'subdistrict', 'district', 'province')),
    year      date NOT NULL,
    area      text COLLATE "C" NOT NULL,
    born      bigint NOT NULL,
    born_kia  bigint NOT NULL,
    PRIMARY KEY (tier, year, area) INCLUDE (born, born_kia)
);

-- Contributions (month, village, posyandu, measure, n) of children summed per tier, year and
-- area (a sum that comes to nothing is left out).
CREATE FUNCTION skdn_born_years_sql(contributions text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format(
        'SELECT t.tier, date_trunc(''year'', d.month)::date, t.area, '
        'coalesce(sum(d.n) FILTER (WHERE d.measure = ''born''), 0)::bigint AS born, '
        'coalesce(sum(d.n) FILTER (WHERE d.measure = ''born_kia''), 0)::bigint AS born_kia '
        'FROM (%s) d CROSS JOIN LATERAL skdn_tiers(d.village_code, d.posyandu_id) t '
        'GROUP BY 1, 2, 3 HAVING sum(d.n) FILTER (WHERE d.measure = ''born'') <> 0 '
        '                     OR sum(d.n) FILTER (WHERE d.measure = ''born_kia'') <> 0', contributions)
$$;

-- A statement changed children: the years they were born in move as their months do.
DO $$
BEGIN
    PERFORM trigger_function_with('skdn_born_years_changed', ARRAY(
        SELECT ARRAY[format('TG_OP = %L', op), format(
            'INSERT INTO skdn_born_years AS y %s ORDER BY 1, 2, 3 ON CONFLICT (tier, year, area) DO UPDATE SET born = y.born + EXCLUDED.born, '
            'born_kia = y.born_kia + EXCLUDED.born_kia',
            skdn_born_years_sql((SELECT string_agg(format('SELECT x.month, x.village_code, x.posyandu_id, x.measure, %s '
                                                          'FROM %s r, LATERAL skdn_of_child(r) x',
                                                          CASE side WHEN 'gone' THEN '-x.n AS n' ELSE 'x.n' END, side),
                                                   ' UNION ALL ')
                                 FROM unnest(trigger_sides(op)) side)))]
        FROM unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) op));
END;
$$;
CREATE TRIGGER skdn_born_years_inserted AFTER INSERT ON children REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_born_years_changed();
CREATE TRIGGER skdn_born_years_updated AFTER UPDATE ON children REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_born_years_changed();
CREATE TRIGGER skdn_born_years_deleted AFTER DELETE ON children REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION skdn_born_years_changed();

-- The year sums of the births of `months` (skdn_counts, or its recount).
CREATE FUNCTION skdn_born_years_of(months text) RETURNS SETOF skdn_born_years LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT k.tier, date_trunc(''year'', k.month)::date, k.area, sum(k.born)::bigint, sum(k.born_kia)::bigint '
        'FROM %s k GROUP BY 1, 2, 3 HAVING sum(k.born) <> 0 OR sum(k.born_kia) <> 0', months);
END;
$$;

-- Every year's births as the rows give them: what the kept rows must equal (the tests compare).
CREATE FUNCTION skdn_born_years_from_rows() RETURNS SETOF skdn_born_years LANGUAGE sql STABLE AS $$
    SELECT * FROM skdn_born_years_of('skdn_counts_from_rows()')
$$;

-- The rebuild after a bulk load (the demo generator) sums the years of the months it rebuilt.
CREATE OR REPLACE FUNCTION skdn_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    ALTER TABLE weighing_months DISABLE TRIGGER USER;
    DELETE FROM weighing_months;
    INSERT INTO weighing_months SELECT * FROM weighing_months_from_rows;
    ALTER TABLE weighing_months ENABLE TRIGGER USER;
    DELETE FROM skdn_counts;
    INSERT INTO skdn_counts SELECT * FROM skdn_counts_from_rows();
    DELETE FROM skdn_born_years;
    INSERT INTO skdn_born_years SELECT * FROM skdn_born_years_of('skdn_counts');
$$;
INSERT INTO skdn_born_years SELECT * FROM skdn_born_years_of('skdn_counts');
