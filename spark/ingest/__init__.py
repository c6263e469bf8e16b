"""The pieces of the filtered_writes job: contract checks, transforms, enrichment, Kafka range, publishing.

Pure DataFrame -> DataFrame transforms live in `validation` and `transforms` (unit-tested on small
frames); `enrich` runs the Python parsers on distinct values only; `publish` owns staging and swaps.
"""
