-- data_quality: what the ingest job (filtered_writes) saw of :report_date, from its run manifests,
-- and what the lake holds for it now.
-- Rows, in this order:
--   scope 'lake': rows_in_lake, the day's rows the other analyses counted;
--   scope 'date': per run that wrote into the day (oldest first), its share of the day: read, valid,
--                 duplicates, quarantined, quarantined_by_reason (one row per reason code), written,
--                 written_rows (the partition's rows after the run), late_events, restated (1 when
--                 the run changed a day an earlier run had written, e.g. with late events);
--   scope 'run':  the same runs' totals over every date they read.
-- Inputs: view `manifest_counts` (one row per manifest figure) and view `events` (the lake).
WITH runs_of_day AS (
    SELECT DISTINCT run_id
    FROM manifest_counts
    WHERE scope = 'date' AND event_date = :report_date
),
manifest_rows AS (
    SELECT
        figures.scope,
        figures.run_sequence,
        figures.run_id,
        figures.run_requested_date,
        figures.run_finished_at,
        figures.metric,
        figures.reason,
        figures.value
    FROM manifest_counts AS figures
    JOIN runs_of_day ON runs_of_day.run_id = figures.run_id
    WHERE figures.scope = 'run' OR figures.event_date = :report_date
),
lake_rows AS (
    SELECT
        'lake'                      AS scope,
        CAST(NULL AS INT)           AS run_sequence,
        CAST(NULL AS STRING)        AS run_id,
        CAST(NULL AS STRING)        AS run_requested_date,
        CAST(NULL AS STRING)        AS run_finished_at,
        'rows_in_lake'              AS metric,
        ''                          AS reason,
        COUNT(*)                    AS value
    FROM events
    WHERE event_date = :report_date
)
SELECT scope, run_id, run_requested_date, run_finished_at, metric, reason, value
FROM (SELECT * FROM lake_rows UNION ALL SELECT * FROM manifest_rows)
ORDER BY CASE scope WHEN 'lake' THEN 0 WHEN 'date' THEN 1 ELSE 2 END, run_sequence, metric, reason
