DROP TRIGGER family_counts_keep ON families_at_risk;
DROP FUNCTION family_counts_keep();
DROP FUNCTION family_counts_add(families_at_risk, integer);
DROP TABLE family_counts;
