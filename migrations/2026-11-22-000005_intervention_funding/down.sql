DROP TABLE intervention_funding;
