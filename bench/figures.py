"""How each benchmark hands its headline figures to `bench/run_all.py`.

A benchmark calls `record(name, {...})` at the end; when run by `run_all.py` (which sets
DAILYAI_BENCH_FIGURES to a file), the figures are appended to that file as one JSON line.
Run on its own, a benchmark just prints, and `record` does nothing.
"""

from __future__ import annotations

import json
import os
from typing import Any

ENV = "DAILYAI_BENCH_FIGURES"


def record(benchmark: str, figures: dict[str, Any]) -> None:
    """Hand `figures` (name -> number) of `benchmark` to run_all.py, if it is listening."""
    path = os.environ.get(ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"benchmark": benchmark, "figures": figures}) + "\n")
