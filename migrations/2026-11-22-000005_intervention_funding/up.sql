-- Which budget lines fund an activity. A line removed from a draft budget stops funding.
CREATE TABLE intervention_funding (
    intervention_id  uuid NOT NULL REFERENCES interventions (id),
    budget_line_id   uuid NOT NULL REFERENCES budget_lines (id) ON DELETE CASCADE,
    PRIMARY KEY (intervention_id, budget_line_id)
);
CREATE INDEX intervention_funding_line_idx ON intervention_funding (budget_line_id);
