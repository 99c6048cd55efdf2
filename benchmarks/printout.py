"""How the benchmarks print a flat report: one JSON line (``--json``) or aligned ``key  value`` lines."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def print_report(report: Mapping[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report))
        return
    width = max(map(len, report))
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")
