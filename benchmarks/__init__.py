"""Benchmarks: ``python -m benchmarks`` (or ``make bench``) runs every ``bench_*.py`` module.

Each module has ``run(quick: bool) -> list[dict]``; every dict is one comparison with keys
``name``, ``baseline`` (what it is compared with), ``baseline_s``, ``candidate_s`` and
optional ``target`` (minimum speed-up) and ``note``. Baselines are measured in the same
run, on the same machine, so the ratios are meaningful.
"""
