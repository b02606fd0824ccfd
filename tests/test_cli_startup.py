"""Starting the CLI must not load the heavy libraries only some commands need."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "matplotlib", "openpyxl")


def test_importing_the_cli_loads_no_heavy_library() -> None:
    # A fresh interpreter: in the test process other tests have long imported them.
    code = f"import luoyang_metrics.cli, sys; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
