"""The daily analyses: eleven SparkSQL questions over the lake, and the day's artifacts.

Each analysis is one plain SQL file, `sql/<name>.sql`, whose output table has the same name. The SQL
reads temp views that `views.py` registers (`events`, `player_events`: the business questions count
players only, never automation; `manifest_counts`) and takes the day as the
named parameter `:report_date`. Two spark-submit entry points use this package:

    spark/analyze.py --date D [--only NAME,...] --run-id ID   the tables, staged as CSV + JSON
    spark/report.py  --date D --run-id ID                     charts, report.html, summary.json; publish

Modules: `views` (lake and manifests as temp views), `runner` (run SQL, stage tables), `tables` (a
table as CSV/JSON), `staging` (staging area and the atomic publish), `truth` (compare with the
generator's ground truth), `charts`, `summary`, `report_html`.
"""

# In the order the report shows them; the DAG groups them into a few tasks by name.
ANALYSES: tuple[str, ...] = (
    "daily_event_counts",
    "purchases_by_item",
    "guild_joins",
    "host_providers",
    "user_agents",
    "clients",
    "automation",
    "engagement",
    "trends",
    "dimension_trends",
    "data_quality",
)
