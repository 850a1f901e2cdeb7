#!/bin/sh
# Route the nightly job's structured log lines to BigQuery, without code.
#
#   OPS_PROJECT=my-ops-project JOB=lbdiag-nightly LOCATION=US sh deploy/bigquery/sink.sh
#
# It makes a dataset, a sink that sends the job's stdout lines (lbdiag
# inspect --format log) to one table partitioned by day,
#   OPS_PROJECT.lbdiag.run_googleapis_com_stdout
# and lets the sink's writer identity write to the dataset. The table's
# schema is in schema.json; queries/ holds three example queries.
set -eu
: "${OPS_PROJECT:?set OPS_PROJECT, the project the job runs in}"
JOB="${JOB:-lbdiag-nightly}"
LOCATION="${LOCATION:-US}"
DATASET="${DATASET:-lbdiag}"

bq --location="$LOCATION" mk --dataset --description "lbdiag findings, from the ${JOB} job's logs" "${OPS_PROJECT}:${DATASET}"

gcloud logging sinks create lbdiag-bigquery \
  "bigquery.googleapis.com/projects/${OPS_PROJECT}/datasets/${DATASET}" \
  --project "$OPS_PROJECT" \
  --use-partitioned-tables \
  --description "lbdiag's --format log lines, for trends" \
  --log-filter "resource.type=\"cloud_run_job\" AND resource.labels.job_name=\"${JOB}\" AND log_id(\"run.googleapis.com/stdout\") AND jsonPayload.runId:*"

# The sink writes as its own service account: let it into the dataset.
WRITER="$(gcloud logging sinks describe lbdiag-bigquery --project "$OPS_PROJECT" --format 'value(writerIdentity)')"
bq add-iam-policy-binding --member="$WRITER" --role=roles/bigquery.dataEditor "${OPS_PROJECT}:${DATASET}"
