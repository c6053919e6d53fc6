DROP TABLE import_job_rejections;
DROP TABLE import_job_parts;
DROP TABLE import_jobs;
