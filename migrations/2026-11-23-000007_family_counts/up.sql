-- Families at risk counted per village and year, kept by a trigger in the writing transaction,
-- so national figures add up some 84,000 village rows instead of millions of families. Each
-- change adds its row's counts (and takes away the old row's): increments commute, so
-- concurrent imports and verifications cannot lose a count.
CREATE TABLE family_counts (
    year                        integer NOT NULL,
    village_code                text COLLATE "C" NOT NULL,
    families                    bigint NOT NULL DEFAULT 0,
    pending                     bigint NOT NULL DEFAULT 0,
    verified                    bigint NOT NULL DEFAULT 0,
    not_found                   bigint NOT NULL DEFAULT 0,
    not_at_risk                 bigint NOT NULL DEFAULT 0,
    with_pregnant_woman         bigint NOT NULL DEFAULT 0,
    with_under_two              bigint NOT NULL DEFAULT 0,
    with_under_five             bigint NOT NULL DEFAULT 0,
    no_safe_water               bigint NOT NULL DEFAULT 0,
    no_proper_latrine           bigint NOT NULL DEFAULT 0,
    mother_under_20             bigint NOT NULL DEFAULT 0,
    mother_over_35              bigint NOT NULL DEFAULT 0,
    births_under_2_years_apart  bigint NOT NULL DEFAULT 0,
    more_than_3_children        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (year, village_code)
);

CREATE FUNCTION family_counts_add(f families_at_risk, sign integer) RETURNS void LANGUAGE sql AS $$
    INSERT INTO family_counts AS c VALUES (
        f.year, f.village_code, sign,
        sign * (f.verification = 'pending')::int, sign * (f.verification = 'verified')::int,
        sign * (f.verification = 'not_found')::int, sign * (f.verification = 'not_at_risk')::int,
        sign * f.has_pregnant_woman::int, sign * f.has_under_two::int, sign * f.has_under_five::int,
        sign * ('no_safe_water' = ANY (f.risk_factors))::int, sign * ('no_proper_latrine' = ANY (f.risk_factors))::int,
        sign * ('mother_under_20' = ANY (f.risk_factors))::int, sign * ('mother_over_35' = ANY (f.risk_factors))::int,
        sign * ('births_under_2_years_apart' = ANY (f.risk_factors))::int,
        sign * ('more_than_3_children' = ANY (f.risk_factors))::int)
    ON CONFLICT (year, village_code) DO UPDATE SET
        families = c.families + EXCLUDED.families, pending = c.pending + EXCLUDED.pending,
        verified = c.verified + EXCLUDED.verified, not_found = c.not_found + EXCLUDED.not_found,
        not_at_risk = c.not_at_risk + EXCLUDED.not_at_risk,
        with_pregnant_woman = c.with_pregnant_woman + EXCLUDED.with_pregnant_woman,
        with_under_two = c.with_under_two + EXCLUDED.with_under_two,
        with_under_five = c.with_under_five + EXCLUDED.with_under_five,
        no_safe_water = c.no_safe_water + EXCLUDED.no_safe_water,
        no_proper_latrine = c.no_proper_latrine + EXCLUDED.no_proper_latrine,
        mother_under_20 = c.mother_under_20 + EXCLUDED.mother_under_20,
        mother_over_35 = c.mother_over_35 + EXCLUDED.mother_over_35,
        births_under_2_years_apart = c.births_under_2_years_apart + EXCLUDED.births_under_2_years_apart,
        more_than_3_children = c.more_than_3_children + EXCLUDED.more_than_3_children;
$$;

CREATE FUNCTION family_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM family_counts_add(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM family_counts_add(NEW, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER family_counts_keep AFTER INSERT OR UPDATE OR DELETE ON families_at_risk
    FOR EACH ROW EXECUTE FUNCTION family_counts_keep();

-- Families already on record.
INSERT INTO family_counts
SELECT year, village_code, count(*),
       count(*) FILTER (WHERE verification = 'pending'), count(*) FILTER (WHERE verification = 'verified'),
       count(*) FILTER (WHERE verification = 'not_found'), count(*) FILTER (WHERE verification = 'not_at_risk'),
       count(*) FILTER (WHERE has_pregnant_woman), count(*) FILTER (WHERE has_under_two),
       count(*) FILTER (WHERE has_under_five),
       count(*) FILTER (WHERE 'no_safe_water' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'no_proper_latrine' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'mother_under_20' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'mother_over_35' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'births_under_2_years_apart' = ANY (risk_factors)),
       count(*) FILTER (WHERE 'more_than_3_children' = ANY (risk_factors))
FROM families_at_risk GROUP BY year, village_code;
