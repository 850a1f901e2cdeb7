-- New errors per day and project: the day each error finding's fingerprint
-- was first reported. (With --baseline auto, labels.status = 'new' marks the
-- same lines; this query does not need it.)
WITH first_seen AS (
  SELECT
    labels.fingerprint AS fingerprint,
    ANY_VALUE(labels.project) AS project,
    ANY_VALUE(labels.rule) AS rule,
    MIN(timestamp) AS first_seen
  FROM `OPS_PROJECT.lbdiag.run_googleapis_com_stdout`
  WHERE labels.fingerprint IS NOT NULL
    AND labels.severity = 'error'
  GROUP BY fingerprint
)
SELECT
  DATE(first_seen) AS day,
  project,
  COUNT(*) AS new_errors,
  STRING_AGG(DISTINCT rule, ', ') AS rules
FROM first_seen
GROUP BY day, project
ORDER BY day DESC, new_errors DESC
