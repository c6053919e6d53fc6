-- The audit trail, readable (GET /api/v1/audit) and unchangeable.
--
-- Officers read the lines of their own region, so each line carries the region of the record
-- it is about, looked up once as it is written. A line about a record the lookup does not know
-- (the intervention catalogue, a national account) has none and is read by admins only.
ALTER TABLE audit_log ADD COLUMN region_code text;

CREATE FUNCTION audit_region(kind text, key text) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    record_id uuid;
BEGIN
    IF key !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        -- Regions are named by code; district-year keys (`14.01/2021/3`) start with one.
        RETURN substring(key FROM '^([0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?)($|[/:])');
    END IF;
    record_id := key::uuid;
    RETURN CASE kind
        WHEN 'child' THEN (SELECT c.village_code FROM children c WHERE c.id = record_id)
        WHEN 'measurement' THEN (SELECT c.village_code FROM measurements m JOIN children c ON c.id = m.child_id
                                 WHERE m.id = record_id)
        WHEN 'case' THEN (SELECT k.village_code FROM cases k WHERE k.id = record_id)
        WHEN 'service' THEN (SELECT c.village_code FROM child_services s JOIN children c ON c.id = s.child_id
                             WHERE s.id = record_id)
        WHEN 'intervention' THEN COALESCE(
            (SELECT i.region_code FROM interventions i WHERE i.id = record_id),
            (SELECT i.region_code FROM intervention_reports r JOIN interventions i ON i.id = r.intervention_id
             WHERE r.id = record_id))
        WHEN 'budget' THEN COALESCE(
            (SELECT b.region_code FROM budgets b WHERE b.id = record_id),
            (SELECT b.region_code FROM budget_lines l JOIN budgets b ON b.id = l.budget_id WHERE l.id = record_id))
        WHEN 'team' THEN (SELECT t.region_code FROM teams t WHERE t.id = record_id)
        WHEN 'agency' THEN (SELECT a.district_code FROM agencies a WHERE a.id = record_id)
        WHEN 'family_at_risk' THEN (SELECT f.village_code FROM families_at_risk f WHERE f.id = record_id)
        WHEN 'convergence_document' THEN (SELECT d.district_code FROM convergence_documents d WHERE d.id = record_id)
        WHEN 'user' THEN (SELECT u.scope FROM users u WHERE u.id = record_id)
    END;
END $$;

CREATE FUNCTION audit_log_locate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.region_code := COALESCE(NEW.region_code, audit_region(NEW.entity, NEW.entity_id));
    RETURN NEW;
END $$;

CREATE TRIGGER audit_log_locate BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_locate();

UPDATE audit_log SET region_code = audit_region(entity, entity_id);

-- Append-only, for every role the service may connect as, its owner and a superuser included:
-- a line once written cannot be changed or removed through SQL the service can send.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

CREATE INDEX audit_log_region_idx ON audit_log (region_code, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
