-- Team counts per region, kept with every change to the teams, so a national breakdown (and
-- the summary's tile) reads 38 rows instead of grouping every TPK of the country: 67,000 at a
-- million children took 212 ms, and the country has three times as many.
-- Each region's row counts the teams of the region and below; `own_tpps` the TPPS of the region
-- itself, which a breakdown by a lower tier shows in the region's own row (a TPK is always
-- of a village).
CREATE TABLE team_counts (
    region_code        text COLLATE "C" PRIMARY KEY,
    tpps               bigint NOT NULL,
    own_tpps           bigint NOT NULL,
    tpk_active         bigint NOT NULL,
    tpk_inactive       bigint NOT NULL,
    villages_with_tpk  bigint NOT NULL
);

-- A breakdown reads one tier of a subtree: the national one 38 rows of 80,000.
CREATE INDEX team_counts_tier_idx ON team_counts (length(region_code), region_code);
CREATE INDEX village_counts_tier_idx ON village_counts (length(region_code), region_code);

-- What team_counts must hold, counted from the teams (rows of all zeros are nothing kept).
CREATE FUNCTION team_counts_from_rows() RETURNS SETOF team_counts LANGUAGE sql STABLE AS $$
    SELECT left(t.region_code, n),
           count(*) FILTER (WHERE t.kind = 'tpps' AND t.active),
           count(*) FILTER (WHERE t.kind = 'tpps' AND t.active AND length(t.region_code) = n),
           count(*) FILTER (WHERE t.kind = 'tpk' AND t.active),
           count(*) FILTER (WHERE t.kind = 'tpk' AND NOT t.active),
           count(DISTINCT t.region_code) FILTER (WHERE t.kind = 'tpk' AND t.active)
    FROM teams t CROSS JOIN unnest(ARRAY[2, 5, 8, 13]) n
    WHERE length(t.region_code) >= n
    GROUP BY 1
    HAVING count(*) FILTER (WHERE t.active OR t.kind = 'tpk') > 0
$$;

-- A statement changed teams: add what it changed to the region and every region above it.
-- Whether a village has an active TPK is decided on the village's count as the last writer of
-- its teams committed it: writers of one village's teams take turns on an advisory lock, and
-- the counting statement after it sees what they committed.
CREATE FUNCTION team_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    signed text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT region_code, kind, active, 1 AS s FROM came'
        WHEN 'DELETE' THEN 'SELECT region_code, kind, active, -1 AS s FROM gone'
        ELSE 'SELECT region_code, kind, active, 1 AS s FROM came '
             'UNION ALL SELECT region_code, kind, active, -1 FROM gone' END;
    villages text[];
    village text;
BEGIN
    EXECUTE format('SELECT array_agg(DISTINCT d.region_code ORDER BY d.region_code) FROM (%s) d WHERE d.kind = ''tpk''',
                   signed)
    INTO villages;
    FOREACH village IN ARRAY coalesce(villages, '{}') LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('team_counts ' || village, 0));
    END LOOP;
    EXECUTE format(
        'WITH per_code AS ( '
        '  SELECT d.region_code, '
        '         coalesce(sum(d.s) FILTER (WHERE d.kind = ''tpps'' AND d.active), 0) AS tpps, '
        '         coalesce(sum(d.s) FILTER (WHERE d.kind = ''tpk'' AND d.active), 0) AS tpk_active, '
        '         coalesce(sum(d.s) FILTER (WHERE d.kind = ''tpk'' AND NOT d.active), 0) AS tpk_inactive '
        '  FROM (%s) d GROUP BY 1 '
        '), flips AS ( '
        '  SELECT p.region_code, '
        '         (coalesce(k.tpk_active, 0) + p.tpk_active > 0)::int - (coalesce(k.tpk_active, 0) > 0)::int AS flip '
        '  FROM per_code p LEFT JOIN team_counts k USING (region_code) WHERE length(p.region_code) = 13 '
        ') '
        'INSERT INTO team_counts AS k '
        'SELECT left(p.region_code, n), sum(p.tpps), coalesce(sum(p.tpps) FILTER (WHERE length(p.region_code) = n), 0), '
        '       sum(p.tpk_active), sum(p.tpk_inactive), sum(coalesce(f.flip, 0)) '
        'FROM per_code p LEFT JOIN flips f USING (region_code) CROSS JOIN unnest(ARRAY[2, 5, 8, 13]) n '
        'WHERE length(p.region_code) >= n '
        'GROUP BY 1 ORDER BY 1 '
        'ON CONFLICT (region_code) DO UPDATE SET tpps = k.tpps + EXCLUDED.tpps, '
        '    own_tpps = k.own_tpps + EXCLUDED.own_tpps, tpk_active = k.tpk_active + EXCLUDED.tpk_active, '
        '    tpk_inactive = k.tpk_inactive + EXCLUDED.tpk_inactive, '
        '    villages_with_tpk = k.villages_with_tpk + EXCLUDED.villages_with_tpk',
        signed);
    RETURN NULL;
END;
$$;

CREATE TRIGGER team_counts_inserted AFTER INSERT ON teams REFERENCING NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION team_counts_changed();
CREATE TRIGGER team_counts_updated AFTER UPDATE ON teams REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION team_counts_changed();
CREATE TRIGGER team_counts_deleted AFTER DELETE ON teams REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION team_counts_changed();

CREATE FUNCTION team_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM team_counts;
    INSERT INTO team_counts SELECT * FROM team_counts_from_rows();
$$;
SELECT team_counts_rebuild();

-- Rebuilding the first 1,000 days counts the person-months from pathway_months once it is
-- refilled, instead of deriving them from the rows a second time (a national rebuild spent
-- most of its 13 minutes there). pathway_counts_from_rows() still derives everything: it is
-- the recount the kept rows are checked against.
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

-- A subdistrict tier in the first 1,000 days' kept counts: a district broken down by
-- subdistrict read and grouped every village row of the district (7,500 for one of Jawa
-- Tengah's, 244 ms p95 under 16 clients); now each tier reads its own rows.
ALTER TABLE pathway_counts DROP CONSTRAINT pathway_counts_tier_check,
    ADD CONSTRAINT pathway_counts_tier_check CHECK (tier IN ('village', 'subdistrict', 'district', 'province'));
CREATE OR REPLACE FUNCTION pathway_tiers(village text) RETURNS TABLE (tier text, code text)
LANGUAGE sql IMMUTABLE AS $$
    VALUES ('village', village), ('subdistrict', left(village, 8)), ('district', left(village, 5)),
           ('province', left(village, 2))
$$;
INSERT INTO pathway_counts (tier, period, period_start, region_code, measure, value)
SELECT 'subdistrict', period, period_start, left(region_code, 8), measure, sum(value)::bigint
FROM pathway_counts WHERE tier = 'village'
GROUP BY 1, 2, 3, 4, 5 HAVING sum(value) <> 0;
