-- +goose Up
-- A hard delete searches the free text of job errors for the user's address;
-- this lists the few jobs that have errors, so it reads only those.
CREATE INDEX river_job_errors_idx ON river_job (id) WHERE errors IS NOT NULL;

-- +goose Down
DROP INDEX river_job_errors_idx;
