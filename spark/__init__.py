"""Spark jobs of the pipeline. Each entry point runs under spark-submit (see game_events.spark_submit)."""
