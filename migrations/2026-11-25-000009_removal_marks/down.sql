ALTER TABLE convergence_documents DROP COLUMN deleted_reason, DROP COLUMN deleted_by;
ALTER TABLE budgets DROP COLUMN deleted_by;
ALTER TABLE interventions DROP COLUMN deleted_by;
