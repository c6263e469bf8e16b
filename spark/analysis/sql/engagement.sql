-- engagement: how many players were active on :report_date and how many of them bought something.
-- Grain: exactly one row (zeros, and NULL ratios, on a day without events).
-- conversion = buyers / active users; purchases_per_buyer = purchases / buyers.
-- Input: view `player_events`, the lake's valid, de-duplicated events without automation (client_class
-- 'automation': crawlers, scripts; see clients and automation).
WITH day_totals AS (
    SELECT
        COUNT(DISTINCT user_id)                                                AS active_users,
        COUNT(DISTINCT CASE WHEN event_type = 'purchase_item' THEN user_id END) AS buyers,
        COUNT(DISTINCT CASE WHEN event_type = 'join_guild' THEN user_id END)    AS guild_joiners,
        COUNT(*)                                                               AS events,
        COUNT_IF(event_type = 'purchase_item')                                 AS purchases,
        COALESCE(SUM(price_cents * quantity), 0)                               AS revenue_cents
    FROM player_events
    WHERE event_date = :report_date
)
SELECT
    active_users,
    buyers,
    guild_joiners,
    events,
    purchases,
    revenue_cents,
    ROUND(buyers / NULLIF(active_users, 0), 6)           AS conversion,
    ROUND(purchases / NULLIF(buyers, 0), 6)              AS purchases_per_buyer,
    ROUND(events / NULLIF(active_users, 0), 6)           AS events_per_user,
    ROUND(revenue_cents / NULLIF(buyers, 0), 2)          AS revenue_per_buyer_cents
FROM day_totals
