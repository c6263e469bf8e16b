"""The core shared by the game API, the generator, the Spark jobs and the DAG.

Modules: `contract` (the event), `serde` (its JSON bytes), `settings` (configuration from the
environment), `kafka` (broker helpers), `spark_submit` (spark-submit arguments), `cli` (shell entry).
"""

__version__ = "0.1.0"
