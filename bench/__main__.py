"""Run every benchmark module in this folder (``bench/bench_*.py``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    wanted = {arg if arg.startswith("bench_") else f"bench_{arg}" for arg in sys.argv[1:]}  # "woocommerce" works too
    unknown = wanted - set(names)
    if unknown:
        print(f"no benchmark module {', '.join(sorted(unknown))}; have {', '.join(names)}", file=sys.stderr)
        return 2
    for name in names:
        if wanted and name not in wanted:
            continue
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
