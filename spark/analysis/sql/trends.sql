-- trends: the key metrics day by day over the 28 days ending at :report_date (the last 7 of them
-- flagged), each with its change against the day before and the same weekday a week before, its mean
-- over the 7 days before it, and its baseline: the median and the median absolute deviation (MAD) of
-- its values on the up to 28 days before it. Trailing means and baselines EXCLUDE the day itself, so
-- that a day is compared with its past only (spark/analysis/deviations.py judges today against it).
-- Only days that have lake partitions appear and count; a change is NULL when the day it compares with
-- has none, a baseline NULL (baseline_days 0) when no earlier day has data. Values are DOUBLE so that
-- one column holds every metric.
-- Grain: one row per metric x day. Input: view `player_events` (the lake's events without automation),
-- holding at least the 56 days ending at :report_date (28 shown + 28 looked back on for the baselines).
WITH daily AS (
    SELECT
        event_date,
        CAST(COUNT(*) AS DOUBLE)                                                     AS events,
        CAST(COUNT_IF(event_type = 'purchase_item') AS DOUBLE)                      AS purchases,
        CAST(COALESCE(SUM(price_cents * quantity), 0) AS DOUBLE)                    AS revenue_cents,
        CAST(COUNT(DISTINCT user_id) AS DOUBLE)                                      AS active_users,
        CAST(COUNT(DISTINCT CASE WHEN event_type = 'purchase_item' THEN user_id END) AS DOUBLE) AS buyers,
        CAST(COUNT_IF(event_type = 'join_guild') AS DOUBLE)                         AS guild_joins
    FROM player_events
    WHERE event_date BETWEEN date_sub(:report_date, 55) AND :report_date
    GROUP BY event_date
),
series AS (
    SELECT event_date, metric, value
    FROM (SELECT *, ROUND(buyers / NULLIF(active_users, 0), 6) AS conversion FROM daily)
    UNPIVOT (value FOR metric IN (events, purchases, revenue_cents, active_users, buyers, guild_joins,
                                  conversion))
),
history AS (
    -- each shown day beside the values of the up to 28 days before it (never the day itself)
    SELECT shown.metric, shown.event_date, prior.value AS prior_value
    FROM series AS shown
    JOIN series AS prior
        ON prior.metric = shown.metric
        AND prior.event_date BETWEEN date_sub(shown.event_date, 28) AND date_sub(shown.event_date, 1)
    WHERE shown.event_date > date_sub(:report_date, 28)
),
medians AS (
    SELECT metric, event_date, MEDIAN(prior_value) AS baseline_median, COUNT(*) AS baseline_days
    FROM history
    GROUP BY metric, event_date
),
baselines AS (
    SELECT history.metric, history.event_date, medians.baseline_median, medians.baseline_days,
           MEDIAN(ABS(history.prior_value - medians.baseline_median)) AS baseline_mad
    FROM history
    JOIN medians ON medians.metric = history.metric AND medians.event_date = history.event_date
    GROUP BY history.metric, history.event_date, medians.baseline_median, medians.baseline_days
),
compared AS (
    SELECT
        today.event_date,
        today.metric,
        today.value,
        day_before.value     AS previous_day_value,
        week_before.value    AS week_before_value,
        -- RANGE over day numbers, not ROWS: a missing day must not pull an older one into the window
        AVG(today.value) OVER trailing_week     AS trailing_7d_mean,
        COUNT(today.value) OVER trailing_week   AS trailing_7d_days
    FROM series AS today
    LEFT JOIN series AS day_before
        ON day_before.metric = today.metric AND day_before.event_date = date_sub(today.event_date, 1)
    LEFT JOIN series AS week_before
        ON week_before.metric = today.metric AND week_before.event_date = date_sub(today.event_date, 7)
    WINDOW trailing_week AS (
        PARTITION BY today.metric
        ORDER BY datediff(today.event_date, :report_date)
        RANGE BETWEEN 7 PRECEDING AND 1 PRECEDING
    )
)
SELECT
    compared.event_date,
    compared.metric,
    value,
    previous_day_value,
    ROUND(value - previous_day_value, 6)                                      AS day_over_day_change,
    ROUND((value - previous_day_value) / NULLIF(previous_day_value, 0), 6)    AS day_over_day_ratio,
    week_before_value,
    ROUND(value - week_before_value, 6)                                       AS week_over_week_change,
    ROUND((value - week_before_value) / NULLIF(week_before_value, 0), 6)      AS week_over_week_ratio,
    ROUND(trailing_7d_mean, 6)                                                AS trailing_7d_mean,
    trailing_7d_days,
    ROUND(baselines.baseline_median, 6)                                       AS baseline_median,
    ROUND(baselines.baseline_mad, 6)                                          AS baseline_mad,
    COALESCE(baselines.baseline_days, 0)                                      AS baseline_days,
    compared.event_date > date_sub(:report_date, 7)                           AS in_last_7_days
FROM compared
LEFT JOIN baselines
    ON baselines.metric = compared.metric AND baselines.event_date = compared.event_date
WHERE compared.event_date > date_sub(:report_date, 28)
ORDER BY compared.metric, compared.event_date
