-- dimension_trends: how each internet provider's and each item's share moved over the 28 days ending
-- at :report_date, each day with its baseline: the median and the median absolute deviation (MAD) of
-- the same figure on the up to 28 days before it (never the day itself; see trends).
-- Per host_provider: share_of_players (its players / the day's players), share_of_events,
-- share_of_purchases, share_of_revenue, and conversion (its buyers / its players). Per item_type:
-- share_of_purchases and share_of_revenue. A provider or item seen on any day of the window counts
-- as 0 on the days with data it is missing from (its share really was 0); a share of nothing (no
-- purchases that day) and a provider's conversion on a day without its players have no row.
-- Grain: one row per dimension x member x metric x day with data, the last 7 days flagged.
-- Input: view `player_events` (the lake's events without automation), holding at least the 56 days
-- ending at :report_date. Providers as in host_providers ('(none)' without a Host).
WITH day_events AS (
    SELECT
        event_date,
        COALESCE(host_provider, '(none)')   AS host_provider,
        item_type,
        user_id,
        event_type = 'purchase_item'        AS is_purchase,
        price_cents * quantity              AS revenue_cents
    FROM player_events
    WHERE event_date BETWEEN date_sub(:report_date, 55) AND :report_date
),
day_totals AS (
    SELECT event_date, COUNT(DISTINCT user_id) AS players, COUNT(*) AS events,
           COUNT_IF(is_purchase) AS purchases, COALESCE(SUM(revenue_cents), 0) AS revenue_cents
    FROM day_events
    GROUP BY event_date
),
provider_days AS (
    SELECT event_date, host_provider, COUNT(DISTINCT user_id) AS players, COUNT(*) AS events,
           COUNT_IF(is_purchase) AS purchases, COALESCE(SUM(revenue_cents), 0) AS revenue_cents,
           COUNT(DISTINCT CASE WHEN is_purchase THEN user_id END) AS buyers
    FROM day_events
    GROUP BY event_date, host_provider
),
item_days AS (
    SELECT event_date, item_type, COUNT(*) AS purchases, SUM(revenue_cents) AS revenue_cents
    FROM day_events
    WHERE is_purchase
    GROUP BY event_date, item_type
),
provider_shares AS (
    SELECT 'host_provider' AS dimension, members.host_provider AS member, totals.event_date,
           COALESCE(counts.players, 0) / totals.players                          AS share_of_players,
           COALESCE(counts.events, 0) / totals.events                            AS share_of_events,
           COALESCE(counts.purchases, 0) / NULLIF(totals.purchases, 0)           AS share_of_purchases,
           COALESCE(counts.revenue_cents, 0) / NULLIF(totals.revenue_cents, 0)   AS share_of_revenue,
           counts.buyers / NULLIF(counts.players, 0)                             AS conversion
    FROM day_totals AS totals
    CROSS JOIN (SELECT DISTINCT host_provider FROM provider_days) AS members
    LEFT JOIN provider_days AS counts
        ON counts.event_date = totals.event_date AND counts.host_provider = members.host_provider
),
item_shares AS (
    SELECT 'item_type' AS dimension, members.item_type AS member, totals.event_date,
           COALESCE(counts.purchases, 0) / NULLIF(totals.purchases, 0)           AS share_of_purchases,
           COALESCE(counts.revenue_cents, 0) / NULLIF(totals.revenue_cents, 0)   AS share_of_revenue
    FROM day_totals AS totals
    CROSS JOIN (SELECT DISTINCT item_type FROM item_days) AS members
    LEFT JOIN item_days AS counts
        ON counts.event_date = totals.event_date AND counts.item_type = members.item_type
),
series AS (
    -- UNPIVOT leaves out NULLs: a share of nothing has no row
    SELECT dimension, member, event_date, metric, ROUND(value, 6) AS value
    FROM provider_shares
    UNPIVOT (value FOR metric IN (share_of_players, share_of_events, share_of_purchases, share_of_revenue,
                                  conversion))
    UNION ALL
    SELECT dimension, member, event_date, metric, ROUND(value, 6) AS value
    FROM item_shares
    UNPIVOT (value FOR metric IN (share_of_purchases, share_of_revenue))
),
history AS (
    -- each shown day beside the values of the up to 28 days before it (never the day itself)
    SELECT shown.dimension, shown.member, shown.metric, shown.event_date, prior.value AS prior_value
    FROM series AS shown
    JOIN series AS prior
        ON prior.dimension = shown.dimension AND prior.member = shown.member AND prior.metric = shown.metric
        AND prior.event_date BETWEEN date_sub(shown.event_date, 28) AND date_sub(shown.event_date, 1)
    WHERE shown.event_date > date_sub(:report_date, 28)
),
medians AS (
    SELECT dimension, member, metric, event_date, MEDIAN(prior_value) AS baseline_median,
           COUNT(*) AS baseline_days
    FROM history
    GROUP BY dimension, member, metric, event_date
),
baselines AS (
    SELECT history.dimension, history.member, history.metric, history.event_date,
           medians.baseline_median, medians.baseline_days,
           MEDIAN(ABS(history.prior_value - medians.baseline_median)) AS baseline_mad
    FROM history
    JOIN medians
        ON medians.dimension = history.dimension AND medians.member = history.member
        AND medians.metric = history.metric AND medians.event_date = history.event_date
    GROUP BY history.dimension, history.member, history.metric, history.event_date,
             medians.baseline_median, medians.baseline_days
)
SELECT
    series.dimension,
    series.member,
    series.metric,
    series.event_date,
    series.value,
    ROUND(baselines.baseline_median, 6)                AS baseline_median,
    ROUND(baselines.baseline_mad, 6)                   AS baseline_mad,
    COALESCE(baselines.baseline_days, 0)               AS baseline_days,
    series.event_date > date_sub(:report_date, 7)      AS in_last_7_days
FROM series
LEFT JOIN baselines
    ON baselines.dimension = series.dimension AND baselines.member = series.member
    AND baselines.metric = series.metric AND baselines.event_date = series.event_date
WHERE series.event_date > date_sub(:report_date, 28)
ORDER BY series.dimension, series.member, series.metric, series.event_date
