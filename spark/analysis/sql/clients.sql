-- clients: how the day's traffic on :report_date splits into browsers, the game's own apps and
-- automation (crawlers, scripts, HTTP libraries), and by operating system.
-- Grain: per client class one row with ua_os = 'all' (every event of the class), followed by one row
-- per operating system of that class. share_of_events is the row's share of all the day's events,
-- automation included; is_bot marks the automation rows. Events without a User-Agent are 'Other'.
-- Input: view `events`, the lake's valid, de-duplicated events (client_class, ua_os parsed at ingest).
WITH day_events AS (
    SELECT
        COALESCE(client_class, 'Other')   AS client_class,
        COALESCE(ua_os, 'Other')          AS ua_os,
        user_id
    FROM events
    WHERE event_date = :report_date
),
class_totals AS (
    SELECT client_class, 'all' AS ua_os, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users
    FROM day_events
    GROUP BY client_class
),
class_systems AS (
    SELECT client_class, ua_os, COUNT(*) AS events, COUNT(DISTINCT user_id) AS users
    FROM day_events
    GROUP BY client_class, ua_os
),
class_rows AS (
    SELECT * FROM class_totals
    UNION ALL
    SELECT * FROM class_systems
)
SELECT
    client_class,
    ua_os,
    events,
    users,
    ROUND(events / SUM(CASE WHEN ua_os = 'all' THEN events END) OVER (), 6)   AS share_of_events,
    client_class = 'automation'                                               AS is_bot
FROM class_rows
ORDER BY client_class, ua_os <> 'all', events DESC, ua_os
