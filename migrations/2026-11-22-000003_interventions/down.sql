DROP TABLE child_services;
DROP TABLE intervention_reports;
DROP TABLE interventions;
DROP TABLE agencies;
DROP TABLE intervention_types;
