-- Imports too large to answer while the caller waits run as jobs. The uploaded file is kept
-- in `import_job_parts` (in order, about 1 MiB each) until the job ends, so a job survives a
-- restart of the service: a job whose lease ran out is taken up again by the next worker.
-- `records_done` only moves in the transaction that writes those records, so a resumed job
-- neither writes a record twice nor skips one.
CREATE TABLE import_jobs (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           text NOT NULL,
    format         text NOT NULL CHECK (format IN ('json', 'ndjson', 'csv')),
    mode           text NOT NULL CHECK (mode IN ('all', 'each')),
    dry_run        boolean NOT NULL,
    status         text NOT NULL CHECK (status IN ('receiving', 'queued', 'running', 'succeeded', 'failed')),
    records_total  integer NOT NULL DEFAULT 0,
    records_done   integer NOT NULL DEFAULT 0,
    created        integer NOT NULL DEFAULT 0,
    updated        integer NOT NULL DEFAULT 0,
    unchanged      integer NOT NULL DEFAULT 0,
    rejected       integer NOT NULL DEFAULT 0,
    -- Why a job failed as a whole (the problem document a request would have answered).
    problem        jsonb,
    attempts       integer NOT NULL DEFAULT 0,
    lease_until    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz
);

CREATE INDEX import_jobs_waiting ON import_jobs (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX import_jobs_finished ON import_jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE import_job_parts (
    job_id  uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    part    integer NOT NULL,
    bytes   bytea NOT NULL,
    PRIMARY KEY (job_id, part)
);

-- Every rejected record of a job, by its position in the file.
CREATE TABLE import_job_rejections (
    job_id     uuid NOT NULL REFERENCES import_jobs (id) ON DELETE CASCADE,
    index      integer NOT NULL,
    line       bigint,
    record_id  text,
    problem    jsonb NOT NULL,
    PRIMARY KEY (job_id, index)
);
