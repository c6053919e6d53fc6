-- The change feed (`GET /api/v1/changes`): one row per record written, in the writing
-- transaction, so an offline app or an integration can ask what changed since it last looked.
-- A row is ordered by the id of the transaction that wrote it (`txid`) and its place in the log
-- (`seq`). Readers only see rows below the oldest transaction still running (the snapshot's
-- xmin): every transaction below it has ended, so no row can still appear there, and a reader
-- that has passed a position never misses a row that commits later. `removed` marks a
-- tombstone: the record was removed, voided, superseded or deleted.
CREATE TABLE changes (
    txid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    entity       text NOT NULL,
    record_id    uuid NOT NULL,
    region_code  text COLLATE "C" NOT NULL,
    removed      boolean NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (txid, seq)
);

-- Logs the rows a statement wrote. Arguments: the entity's name, the region of a written row
-- `r` and whether `r` is removed, both as SQL expressions over `r`. One function serves every
-- table; a trigger per event names the transition table it has (`came`, or `gone` for DELETE).
CREATE FUNCTION changes_logged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO changes (entity, record_id, region_code, removed) '
        'SELECT %L, r.id, coalesce(%s, ''''), %s FROM %I r ORDER BY r.id',
        TG_ARGV[0], TG_ARGV[1],
        CASE WHEN TG_OP = 'DELETE' THEN 'true' ELSE TG_ARGV[2] END,
        CASE WHEN TG_OP = 'DELETE' THEN 'gone' ELSE 'came' END);
    RETURN NULL;
END;
$$;

CREATE PROCEDURE changes_logged_on(tab regclass, entity text, region text, removed text)
LANGUAGE plpgsql AS $$
DECLARE
    args text := format('%L, %L, %L', entity, region, removed);
    name text := 'changes_' || entity;
BEGIN
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %s REFERENCING NEW TABLE AS came '
                   'FOR EACH STATEMENT EXECUTE FUNCTION changes_logged(%s)', name || '_inserted', tab, args);
    EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON %s REFERENCING NEW TABLE AS came '
                   'FOR EACH STATEMENT EXECUTE FUNCTION changes_logged(%s)', name || '_updated', tab, args);
    EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON %s REFERENCING OLD TABLE AS gone '
                   'FOR EACH STATEMENT EXECUTE FUNCTION changes_logged(%s)', name || '_deleted', tab, args);
END;
$$;

CALL changes_logged_on('children', 'child', 'r.village_code', 'r.deleted_at IS NOT NULL');
CALL changes_logged_on('measurements', 'measurement',
    '(SELECT c.village_code FROM children c WHERE c.id = r.child_id)', 'r.voided_at IS NOT NULL');
CALL changes_logged_on('cases', 'case', 'r.village_code', 'r.status = ''void''');
CALL changes_logged_on('interventions', 'intervention', 'r.region_code', 'r.deleted_at IS NOT NULL');
CALL changes_logged_on('intervention_reports', 'intervention_report',
    '(SELECT i.region_code FROM interventions i WHERE i.id = r.intervention_id)', 'r.superseded_at IS NOT NULL');
CALL changes_logged_on('teams', 'team', 'r.region_code', 'false');
CALL changes_logged_on('families_at_risk', 'family_at_risk', 'r.village_code', 'false');
CALL changes_logged_on('budgets', 'budget', 'r.region_code', 'r.deleted_at IS NOT NULL');
CALL changes_logged_on('budget_lines', 'budget_line',
    '(SELECT b.region_code FROM budgets b WHERE b.id = r.budget_id)', 'false');
CALL changes_logged_on('budget_spending', 'budget_spending',
    '(SELECT b.region_code FROM budget_lines l JOIN budgets b ON b.id = l.budget_id WHERE l.id = r.line_id)', 'false');

DROP PROCEDURE changes_logged_on;
