DROP INDEX pathway_births_idx;
