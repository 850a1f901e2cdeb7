-- Time to resolve: for each finding that is gone, the first run that
-- reported it and the first later run of its project without it. A run of
-- a project is its NOTICE summary line (jsonPayload.summary); lines of one
-- run share labels.run_id.
WITH runs AS (
  SELECT
    labels.project AS project,
    labels.run_id AS run_id,
    MIN(timestamp) AS run_time
  FROM `OPS_PROJECT.lbdiag.run_googleapis_com_stdout`
  WHERE jsonPayload.summary.exitcode IS NOT NULL
  GROUP BY project, run_id
),
seen AS (
  SELECT
    f.labels.project AS project,
    f.labels.fingerprint AS fingerprint,
    ANY_VALUE(f.labels.rule) AS rule,
    ANY_VALUE(f.jsonPayload.finding.resource.name) AS resource,
    MIN(r.run_time) AS first_seen,
    MAX(r.run_time) AS last_seen
  FROM `OPS_PROJECT.lbdiag.run_googleapis_com_stdout` AS f
  JOIN runs AS r
    ON r.project = f.labels.project AND r.run_id = f.labels.run_id
  WHERE f.labels.fingerprint IS NOT NULL
  GROUP BY project, fingerprint
)
SELECT
  s.project,
  s.rule,
  s.resource,
  s.fingerprint,
  s.first_seen,
  MIN(r.run_time) AS resolved_at,
  ROUND(TIMESTAMP_DIFF(MIN(r.run_time), s.first_seen, MINUTE) / 1440, 1) AS days_to_resolve
FROM seen AS s
JOIN runs AS r
  ON r.project = s.project AND r.run_time > s.last_seen
GROUP BY s.project, s.rule, s.resource, s.fingerprint, s.first_seen
ORDER BY days_to_resolve DESC
