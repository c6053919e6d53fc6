-- How many current villages each province, district and subdistrict holds, kept with every
-- change to the region list (rare, and done by administrators), so a national breakdown of
-- teams reads 38 rows instead of counting 83,762 villages.
CREATE TABLE village_counts (
    region_code  text COLLATE "C" PRIMARY KEY,
    villages     bigint NOT NULL
);

CREATE FUNCTION village_counts_rebuild() RETURNS void LANGUAGE sql AS $$
    DELETE FROM village_counts;
    INSERT INTO village_counts
    SELECT left(code, t.length), count(*)
    FROM regions CROSS JOIN (VALUES (2), (5), (8)) t (length)
    WHERE level = 'village' AND retired_at IS NULL
    GROUP BY 1;
$$;

CREATE FUNCTION village_counts_regions_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Region writers take turns here, so two concurrent changes cannot both rebuild from
    -- what the other has not committed yet.
    LOCK TABLE village_counts IN SHARE ROW EXCLUSIVE MODE;
    PERFORM village_counts_rebuild();
    RETURN NULL;
END;
$$;
CREATE TRIGGER village_counts_regions_changed AFTER INSERT OR UPDATE OR DELETE ON regions
    FOR EACH STATEMENT EXECUTE FUNCTION village_counts_regions_changed();

SELECT village_counts_rebuild();
