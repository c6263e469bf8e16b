-- user_agents: which clients the players used on :report_date: browsers and the game's own apps.
-- Grain: one row per client class (browser, app) x client family x operating system, busiest first;
-- share_of_events is the row's share of the day's player events. Automation is not a player: it is
-- counted in the clients and automation tables instead.
-- Input: view `player_events`, the lake's valid, de-duplicated events without automation (ua_*,
-- client_class parsed at ingest; events without a User-Agent show as 'Other').
WITH day_events AS (
    SELECT
        COALESCE(client_class, 'Other')  AS client_class,
        COALESCE(ua_family, 'Other')     AS ua_family,
        COALESCE(ua_os, 'Other')         AS ua_os,
        user_id
    FROM player_events
    WHERE event_date = :report_date
)
SELECT
    client_class,
    ua_family,
    ua_os,
    COUNT(*)                                      AS events,
    COUNT(DISTINCT user_id)                       AS users,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 6)    AS share_of_events
FROM day_events
GROUP BY client_class, ua_family, ua_os
ORDER BY events DESC, client_class, ua_family, ua_os
