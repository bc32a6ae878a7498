"""Run every benchmark module in bench/ and print one table.

A benchmark module defines ``run() -> list[Result]``. Each result is measured against a reference
run in the same process (pgbench, a raw SQL loop...), so the figure means something on any machine.
Benchmarks never fail the build: they print PASS or FAIL against their goal.
"""

import importlib
import os
import pkgutil
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> int:
    import django

    django.setup()
    from bench.results import Result, print_table

    names = sys.argv[1:] or [
        m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_")
    ]
    results: list[Result] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        results.extend(module.run())
    if not results:
        print("No benchmarks yet: add a bench/bench_<area>.py module with a run() function.")
        return 0
    print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
