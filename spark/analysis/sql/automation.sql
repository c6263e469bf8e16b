-- automation: which crawlers, scripts and HTTP libraries sent events on :report_date, and from which
-- internet providers. These events are left out of every business table (they are not players).
-- Grain: one row per automation client family x host provider, busiest first. share_of_automation is
-- the row's share of the day's automation events. Providers as in host_providers ('(none)' without one).
-- Input: view `events`, the lake's valid, de-duplicated events (client_class 'automation').
SELECT
    COALESCE(ua_family, 'Other')                   AS ua_family,
    COALESCE(host_provider, '(none)')              AS host_provider,
    COUNT(*)                                       AS events,
    COUNT(DISTINCT user_id)                        AS users,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 6)     AS share_of_automation
FROM events
WHERE event_date = :report_date
  AND client_class = 'automation'
GROUP BY COALESCE(ua_family, 'Other'), COALESCE(host_provider, '(none)')
ORDER BY events DESC, ua_family, host_provider
