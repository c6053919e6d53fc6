-- The births a breakdown of the people assisted reads (records::stats::pathway::births): one
-- measure of 35 months or more over a region's areas. In the key, period start comes before
-- measure, so those rows lie scattered among every other measure's, one index descent per
-- month. Here a region's births are one range, all of its months together (a few dozen per
-- area: only births are in this index).
CREATE INDEX pathway_births_idx ON pathway_counts (tier, period, region_code, period_start) INCLUDE (value)
    WHERE measure = 'children_born';
