-- +goose Up
-- A hard delete removes the user's jobs from River's table. Jobs name users
-- under args.user_id and deletion requests under args.deletion_request_id;
-- these partial expression indexes make each lookup a probe whatever the
-- table's size (the planner skips River's GIN index on args while the table
-- is small, and then scans it for every deleted account). The third lists the
-- few jobs that have errors, whose free text the delete searches for the
-- address.
CREATE INDEX river_job_args_user_id_idx ON river_job ((args ->> 'user_id'))
    WHERE args ? 'user_id';
CREATE INDEX river_job_args_deletion_request_id_idx ON river_job ((args ->> 'deletion_request_id'))
    WHERE args ? 'deletion_request_id';
CREATE INDEX river_job_errors_idx ON river_job (id) WHERE errors IS NOT NULL;

-- +goose Down
DROP INDEX river_job_errors_idx;
DROP INDEX river_job_args_deletion_request_id_idx;
DROP INDEX river_job_args_user_id_idx;
