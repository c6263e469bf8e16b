-- host_providers: which internet providers the players came from on :report_date, and what the
-- players of each provider bought (the seed project's question: purchases per provider x item).
-- Grain: per provider one row with item_type = 'all' (every event of the provider), followed by one
-- row per item its players bought (then events = purchases of that item, users = its buyers).
-- A provider is the registered domain of the request's Host header; events without one are '(none)'.
-- Input: view `player_events`, the lake's valid, de-duplicated events without automation (client_class
-- 'automation': crawlers, scripts; see clients and automation).
WITH day_events AS (
    SELECT
        COALESCE(host_provider, '(none)')     AS host_provider,
        event_type = 'purchase_item'          AS is_purchase,
        item_type,
        user_id,
        quantity,
        price_cents * quantity                AS revenue_cents
    FROM player_events
    WHERE event_date = :report_date
),
provider_totals AS (
    SELECT
        host_provider,
        'all'                                               AS item_type,
        COUNT(*)                                            AS events,
        COUNT(DISTINCT user_id)                             AS users,
        COUNT_IF(is_purchase)                               AS purchases,
        COALESCE(SUM(quantity), 0)                          AS units,
        COALESCE(SUM(revenue_cents), 0)                     AS revenue_cents,
        COUNT(DISTINCT CASE WHEN is_purchase THEN user_id END) AS buyers
    FROM day_events
    GROUP BY host_provider
),
provider_items AS (
    SELECT
        host_provider,
        item_type,
        COUNT(*)                   AS events,
        COUNT(DISTINCT user_id)    AS users,
        COUNT(*)                   AS purchases,
        SUM(quantity)              AS units,
        SUM(revenue_cents)         AS revenue_cents,
        COUNT(DISTINCT user_id)    AS buyers
    FROM day_events
    WHERE is_purchase
    GROUP BY host_provider, item_type
)
SELECT * FROM provider_totals
UNION ALL
SELECT * FROM provider_items
ORDER BY host_provider, item_type <> 'all', item_type
