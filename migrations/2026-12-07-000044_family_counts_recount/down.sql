DROP FUNCTION family_counts_from_rows();
