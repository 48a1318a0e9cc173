"""`make bench`: run every benchmark under bench/ in turn, at its default sizes.

Each bench_*.py is a plain script that times the product's code next to the
raw engine on the same data in the same run and prints a markdown table.
bench_browser.py drives the real app in Debian's chromium (`make bench` installs
it first, as `make test` does) and keeps its store under the temp folder;
bench_pivot.py (the cross-tab, 5,000,000 bookings by default) keeps its store
there too (BENCH=pivot BENCH_ARGS="--bookings 1000000" for a quicker look).
Pass extra arguments through BENCH_ARGS, e.g. BENCH_ARGS="--bookings 100000";
run one alone with BENCH, e.g. BENCH=browser.
"""

import os
import shlex
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    extra = shlex.split(os.environ.get("BENCH_ARGS", ""))
    only = os.environ.get("BENCH")  # e.g. BENCH=browser to run bench_browser.py alone
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.stem != f"bench_{only}":
            continue
        print(f"\n## {script.stem}\n", flush=True)
        if subprocess.run([sys.executable, str(script), *extra]).returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nFailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
