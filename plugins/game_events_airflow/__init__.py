"""What this project adds to Airflow: the Kafka offsets sensor (offsets.py) and the reports view
(reports.py, a FastAPI app that plugins/game_events_plugin.py mounts in the api-server).

Airflow puts plugins/ on sys.path, so DAGs import `game_events_airflow.offsets` directly.
"""
