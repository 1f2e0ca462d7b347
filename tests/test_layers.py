"""The layers import downward only (DESIGN.md): dhcore never imports Prefect, tasks never import flows,
and the spec layer never loads torch (validating a spec must stay fast and work without a GPU stack)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _imports(folder: str) -> list[tuple[Path, str]]:
    found = []
    for path in sorted((REPO / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


@pytest.mark.parametrize(("folder", "forbidden"), [("dhcore", "prefect"), ("tasks", "flows"), ("dhcore", "tasks"),
                                                   ("dhcore", "flows"), ("tasks", "dh")])  # fmt: skip
def test_no_upward_imports(folder: str, forbidden: str) -> None:
    bad = [f"{p.relative_to(REPO)}: {m}" for p, m in _imports(folder) if m.split(".")[0] == forbidden]
    assert not bad, f"{folder} must not import {forbidden}: {bad}"


def test_spec_layer_and_declarations_import_without_torch() -> None:
    code = (
        "import sys, dhcore.spec.loader, dhcore.spec.dance, dhcore.spec.photo_shoot, dhcore.stages, "
        "dhcore.animate.registry, dhcore.plan; print(sorted(m for m in ('torch', 'prefect') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)  # noqa: S603
    assert out.stdout.strip() == "[]"


MUSEPOSE_SPEC = """\
version: 1
kind: dance_video
subject: {{image: person.png}}
motion: {{type: keypoints, path: dance.npz}}
animate:
  backend: musepose
  width: 64
  height: 64
  params: {{steps: {steps}}}
"""


def test_validating_a_musepose_spec_never_loads_torch(tmp_path: Path) -> None:
    """`dh validate` checks diffusion params from the torch-free table; errors stay located."""
    import cv2
    from skimage import data

    from dhcore.pose.keypoints import PoseSequence

    cv2.imwrite(str(tmp_path / "person.png"), cv2.cvtColor(data.astronaut()[::2, ::2], cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(3, 64, 64, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(tmp_path / "dance.npz")
    (tmp_path / "bad.yaml").write_text(MUSEPOSE_SPEC.format(steps=0))
    code = (
        "import sys; from dh.cli import main; rc = main(['validate', sys.argv[1]]); "
        "print('TORCH', 'torch' in sys.modules, 'PREFECT', 'prefect' in sys.modules, rc)"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, str(tmp_path / "bad.yaml")], capture_output=True, text=True, cwd=REPO
    )
    assert "TORCH False PREFECT False 2" in out.stdout  # exit 2: invalid spec, out.stdout + out.stderr
    assert "bad.yaml:9:19: animate.params.steps: should be greater than or equal to 1" in out.stderr
