-- Growth seeding for bench/run.sh: :size more certificates (`BNCH…` serials of
-- trainees `bench-<n>`), copies of a real one but for serial, trainee and
-- completion, replacing the previous seeded ones. Verification looks up real
-- serials among them.
DELETE FROM certificates WHERE serial LIKE 'BNCH%';
SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS cols
  FROM information_schema.columns
 WHERE table_name = 'certificates' AND table_schema = current_schema()
   AND column_name NOT IN ('id', 'serial', 'completion_key', 'trainee_subject') \gset
INSERT INTO certificates (id, serial, completion_key, trainee_subject, :cols)
SELECT gen_random_uuid(), 'BNCH' || lpad(g::text, 12, '0'), 'bench:' || g, 'bench-' || (g % :trainees), :cols
  FROM (SELECT * FROM certificates WHERE serial NOT LIKE 'BNCH%' LIMIT 1) AS template,
       generate_series(0, :size - 1) AS g;
VACUUM ANALYZE certificates;
