"""Start-up: `import chainrule` and `chainrule --help` against a bare `python -c pass`, in one interleaved run.

Each command is started as a new process again and again (interleaved, so
a burst of noise hits all three alike) and the median wall time is taken.
The targets are ratios to the bare interpreter's start on the same machine:
`import chainrule` ≤ 2×, `chainrule --help` ≤ 3×. Python caches compiled
modules (`__pycache__`), as on any user's machine: a first untimed run writes
the cache (PYTHONDONTWRITEBYTECODE is cleared for these processes).

Prints one Markdown section on stdout (``bench/run.py`` collects it).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from time import perf_counter

ROUNDS = 41
CHAINRULE = shutil.which("chainrule", path=os.path.dirname(sys.executable)) or "chainrule"
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "python -c 'import chainrule'": [sys.executable, "-c", "import chainrule"],
    "chainrule --help": [CHAINRULE, "--help"],
}
TARGETS = {"python -c 'import chainrule'": 2.0, "chainrule --help": 3.0}


def main() -> int:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for argv in COMMANDS.values():  # write the bytecode caches
        subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(ROUNDS):
        for name, argv in COMMANDS.items():
            start = perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, env=env, check=True)
            times[name].append(perf_counter() - start)
    median = {name: statistics.median(ts) for name, ts in times.items()}
    bare = median["python -c pass"]
    print("## Start-up: `import chainrule` and `chainrule --help` (`bench/bench_startup.py`)")
    print()
    print(f"Median wall time of {ROUNDS} interleaved starts of each command (new processes, bytecode cached).")
    print()
    print("| command | median ms | ÷ bare python |")
    print("|---|---:|---:|")
    for name in COMMANDS:
        print(f"| `{name}` | {median[name] * 1e3:.1f} | {median[name] / bare:.2f}× |")
    print()
    print("Targets:")
    print()
    for name, target in TARGETS.items():
        ratio = median[name] / bare
        print(f"- `{name}` ≤ {target:g}× a bare start: **{'met' if ratio <= target else 'missed'}** ({ratio:.2f}×)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
