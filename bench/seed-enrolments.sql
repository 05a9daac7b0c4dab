-- Growth seeding for bench/run.sh: replaces every enrolment with exactly
-- :size enrolments of :trainees trainees (`bench-<n>`, ten each), spread over
-- six organizations and a year: 60% completed, 10% failed, 20% confirmed,
-- 10% cancelled. A bulk path (one INSERT ... SELECT), not the service's: the
-- benchmark's rollup triggers are off while it runs, and the rollups are
-- rebuilt from the rows after it (the same SQL as their migrations), as is
-- the people-trained table.
TRUNCATE enrolments, enrolment_history, attendance, idempotency_keys, outbox CASCADE;
ALTER TABLE enrolments DISABLE TRIGGER USER;
INSERT INTO enrolments (
  id, session_id, course_id, trainee_subject, trainee_name, trainee_organization_id,
  status, enrolled_by_subject, enrolled_by_name, enrolled_by_organization_id,
  waitlisted_at, score, attendance_percent, passing_score, min_attendance_percent, hours,
  assessor_subject, assessor_name, assessor_organization_id, completed_at,
  created_at, status_at, updated_at)
SELECT
  gen_random_uuid(),
  -- the k-th enrolment of trainee t is in session k*1000 + t%1000: one per trainee and session
  ('00000000-0000-4000-b000-' || lpad(to_hex((g / :trainees) * 1000 + (g % :trainees) % 1000), 12, '0'))::uuid,
  :'course'::uuid,
  'bench-' || (g % :trainees),
  'کارآموز ' || (g % :trainees),
  o.org,
  s.status, 'bench-' || (g % :trainees), '', o.org,
  NULL,
  CASE s.status WHEN 'completed' THEN 60 + g % 41 WHEN 'failed' THEN g % 60 END,
  CASE WHEN s.ended THEN 100 END,
  60, 75, 16,
  CASE WHEN s.ended THEN 'instructor-rahimi' END,
  CASE WHEN s.ended THEN 'مدرس' END,
  CASE WHEN s.ended THEN 'imidro' END,
  CASE WHEN s.ended THEN now() - make_interval(days => g % 365) END,
  now() - make_interval(days => g % 400), now() - make_interval(days => g % 365), now()
FROM generate_series(0, :size - 1) AS g,
  LATERAL (SELECT (ARRAY['msc', 'ksc', 'nisco', 'impasco', 'gegh', 'salco'])[1 + (g % :trainees) % 6] AS org) AS o,
  LATERAL (SELECT CASE WHEN g % 10 < 6 THEN 'completed' WHEN g % 10 = 6 THEN 'failed'
                       WHEN g % 10 < 9 THEN 'confirmed' ELSE 'cancelled' END AS status,
                  g % 10 < 7 AS ended) AS s;
ALTER TABLE enrolments ENABLE TRIGGER USER;
\o /dev/null
SELECT benchmark_rollups_rebuild();
SELECT people_trained_rebuild();
\o
VACUUM ANALYZE enrolments;
VACUUM ANALYZE benchmark_rollups;
VACUUM ANALYZE people_trained;
