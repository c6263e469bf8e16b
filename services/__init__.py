"""Long-running services of the pipeline. `game_api/` is the Flask game API (see its package docstring)."""
