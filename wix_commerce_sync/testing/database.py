"""Which database the stand-in runs on outside pytest (benchmarks, the chaos run): MariaDB unless ``WCS_DB=sqlite``.

For MariaDB, the project's private server (``scripts/mariadb.sh``) is started when needed and its settings put in
the environment, where the stand-in's ``server_settings`` reads them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def ensure_database() -> str:
    """``"mariadb"`` (the private server running, its settings in ``os.environ``) or ``"sqlite"``."""
    backend = os.environ.get("WCS_DB") or "mariadb"
    if backend == "mariadb":
        out = subprocess.run([str(ROOT / "scripts" / "mariadb.sh"), "start"], check=True, capture_output=True, text=True)
        for part in out.stdout.split():
            if "=" in part:
                key, value = part.split("=", 1)
                os.environ[key] = value.strip("'\"")
    return backend
