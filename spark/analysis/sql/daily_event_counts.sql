-- daily_event_counts: how many events of each type the players sent on :report_date.
-- Grain: one row per event type seen that day (no rows on a day without events).
-- Input: view `player_events`, the lake's valid, de-duplicated events without automation (client_class
-- 'automation': crawlers, scripts; see clients and automation).
SELECT
    event_type,
    COUNT(*)                                     AS events,
    COUNT(DISTINCT user_id)                      AS users,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 6)   AS share_of_events
FROM player_events
WHERE event_date = :report_date
GROUP BY event_type
ORDER BY event_type
