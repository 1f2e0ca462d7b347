"""Warming a plan's later stages: their implementations are imported in a background thread."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_warm_stages_imports_later_stages_and_survives_unknown_ones() -> None:
    # a fresh interpreter: whether the module was imported before must not depend on other tests
    code = """
import sys
from dhcore import stages
from dhcore.stage import NoParams
from dhcore.warm import warm_stages
module = stages.MODULES["face.refine"]
assert module not in sys.modules and "scipy.spatial" not in sys.modules
params = NoParams()  # not the stage's: its weights digest fails, quietly (the stage reports it when it runs)
thread = warm_stages([("no.such.stage", params), ("face.refine", params)])
thread.join(60)
assert not thread.is_alive()
assert module in sys.modules and "scipy.spatial" in sys.modules, module
print("warmed", module)
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warmed dhcore.face.refine" in done.stdout
