-- user_agents: which clients the players used on :report_date, and how much of the traffic was bots.
-- Grain: one row per client family x operating system, busiest first. bot_share is the share of the
-- row's events sent by bots; share_of_events is the row's share of all events of the day.
-- Input: view `events`, the lake's valid, de-duplicated events (ua_* and is_bot parsed at ingest).
WITH day_events AS (
    SELECT
        COALESCE(ua_family, 'Other')    AS ua_family,
        COALESCE(ua_os, 'Other')        AS ua_os,
        COALESCE(is_bot, FALSE)         AS is_bot,
        user_id
    FROM events
    WHERE event_date = :report_date
)
SELECT
    ua_family,
    ua_os,
    COUNT(*)                                      AS events,
    COUNT(DISTINCT user_id)                       AS users,
    COUNT_IF(is_bot)                              AS bot_events,
    ROUND(COUNT_IF(is_bot) / COUNT(*), 6)         AS bot_share,
    ROUND(COUNT(*) / SUM(COUNT(*)) OVER (), 6)    AS share_of_events
FROM day_events
GROUP BY ua_family, ua_os
ORDER BY events DESC, ua_family, ua_os
