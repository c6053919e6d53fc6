-- Every removable record keeps who removed it and why, the way children always have: removal
-- is one write path (src/records/write.rs), the same for every record that has it.
ALTER TABLE interventions ADD COLUMN deleted_by uuid REFERENCES users (id);
ALTER TABLE budgets ADD COLUMN deleted_by uuid REFERENCES users (id);
ALTER TABLE convergence_documents
    ADD COLUMN deleted_by uuid REFERENCES users (id),
    ADD COLUMN deleted_reason text;
