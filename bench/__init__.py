"""Benchmarks of every stage against a ceiling measured in the same run (see BENCHMARKS.md).

    .venv/bin/python -m bench run --mode quick|full      # what `make bench-quick` / `make bench` run
    .venv/bin/python -m bench render bench/results/full.json

Benchmarks are not tests: they report figures (bench/results/<name>.json) and never assert.
"""
