-- guild_joins: which guilds the players joined on :report_date.
-- Grain: one row per guild joined that day, most joined first.
-- Input: view `player_events`, the lake's valid, de-duplicated events without automation (client_class
-- 'automation': crawlers, scripts; see clients and automation).
SELECT
    guild_id,
    -- a guild's display name can change during a day; any one of them names it, MAX keeps it stable
    MAX(guild_name)            AS guild_name,
    COUNT(*)                   AS joins,
    COUNT(DISTINCT user_id)    AS unique_joiners
FROM player_events
WHERE event_date = :report_date
  AND event_type = 'join_guild'
GROUP BY guild_id
ORDER BY joins DESC, guild_id
