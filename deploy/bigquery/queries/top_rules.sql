-- The rules that fire most over the last 30 days: distinct findings
-- (fingerprints), the projects they are in, and how many were errors.
SELECT
  labels.rule AS rule,
  COUNT(DISTINCT labels.fingerprint) AS findings,
  COUNT(DISTINCT labels.project) AS projects,
  COUNT(DISTINCT IF(labels.severity = 'error', labels.fingerprint, NULL)) AS errors
FROM `OPS_PROJECT.lbdiag.run_googleapis_com_stdout`
WHERE labels.fingerprint IS NOT NULL
  AND timestamp > TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 30 DAY)
GROUP BY rule
ORDER BY findings DESC
LIMIT 20
