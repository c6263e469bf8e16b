-- purchases_by_item: what the players bought on :report_date.
-- Grain: one row per item type bought that day. Revenue is price_cents * quantity, in cents.
-- Input: view `player_events`, the lake's valid, de-duplicated events without automation (client_class
-- 'automation': crawlers, scripts; see clients and automation).
SELECT
    item_type,
    COUNT(*)                       AS purchases,
    SUM(quantity)                  AS units,
    SUM(price_cents * quantity)    AS revenue_cents,
    COUNT(DISTINCT user_id)        AS unique_buyers
FROM player_events
WHERE event_date = :report_date
  AND event_type = 'purchase_item'
GROUP BY item_type
ORDER BY item_type
