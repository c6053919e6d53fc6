-- z-scores are now kept as WHO's anthro reports them, rounded to two decimals, and flagged and
-- classified on that value. Scores stored before are rounded here and their flags recomputed
-- with WHO's limits (HAZ ±6, WAZ −6 to +5, WHZ ±5). A case opened by a measurement at, say,
-- HAZ −2.0004 is re-derived the next time the child is measured or edited.
UPDATE measurements SET
    haz = round(haz::numeric, 2)::double precision,
    waz = round(waz::numeric, 2)::double precision,
    whz = round(whz::numeric, 2)::double precision
WHERE haz IS NOT NULL OR waz IS NOT NULL OR whz IS NOT NULL;

UPDATE measurements SET
    haz_implausible = coalesce(haz < -6 OR haz > 6, false),
    waz_implausible = coalesce(waz < -6 OR waz > 5, false),
    whz_implausible = coalesce(whz < -5 OR whz > 5, false);

UPDATE cases SET latest_haz = round(latest_haz::numeric, 2)::double precision;
