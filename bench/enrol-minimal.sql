-- The minimal enrol transaction (issue 17): what an enrolment must do at
-- least, against the same schema as the captured one: the seat guard (one
-- conditional update of the session's seat row), the enrolment row and an
-- outbox row, in one transaction. The sessions' seat rows are made by
-- bench/run.sh first (ids from :s as in bench/ceiling.py; SESSIONS is set
-- with pgbench -D sessions=N).
\set n random(1, 1000000000000)
\set s random(1, :sessions)
BEGIN;
UPDATE session_seats SET taken = taken + 1, updated_at = now()
  WHERE session_id = ('00000000-0000-4000-a000-' || lpad(to_hex(:s::bigint), 12, '0'))::uuid
    AND taken < capacity;
INSERT INTO enrolments (id, session_id, course_id, trainee_subject, trainee_name,
    trainee_organization_id, status, enrolled_by_subject, enrolled_by_name,
    enrolled_by_organization_id, created_at, status_at, updated_at)
  VALUES (('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid,
    ('00000000-0000-4000-a000-' || lpad(to_hex(:s::bigint), 12, '0'))::uuid,
    '00000000-0000-4000-b000-000000000001', 'm-' || :n, '', 'msc', 'confirmed',
    'm-' || :n, '', 'msc', now(), now(), now());
INSERT INTO outbox (id, enrolment_id, payload, created_at, attempts, next_attempt_at, last_error)
  VALUES (('00000000-0000-4000-9000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid,
    ('00000000-0000-4000-8000-' || lpad(to_hex(:n::bigint), 12, '0'))::uuid,
    '\x00', now(), 0, now(), '');
COMMIT;
