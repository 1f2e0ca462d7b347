"""The batch flow: runs inbox specs the catalog has not produced, skips the rest, reports invalid ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SPEC = """\
version: 1
kind: dance_video
name: inbox-{n}
subject: {{image: ../assets/astronaut.png}}
motion: {{type: keypoints, path: ../assets/dance.pose.npz}}
animate: {{backend: warp, width: 192, height: 192}}
face: {{restore: {{backend: none}}, refine: {{backend: none}}}}
"""


def test_batch_runs_each_new_spec_once(
    prefect_api: None, demo_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.batch import batch_inbox

    monkeypatch.setenv("DH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DH_ALLOWED_ROOTS", str(demo_assets))
    inbox = demo_assets / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "a.yaml").write_text(SPEC.format(n=1))
    shutil.copyfile(inbox / "a.yaml", inbox / "a_copy.yaml")  # same normalized spec: same content hash
    (inbox / "broken.yaml").write_text("version: 1\nkind: dance_video\nsubject: {}\n")
    (inbox / "notes.txt").write_text("not a spec")

    first = {Path(r["spec"]).name: r for r in batch_inbox(str(inbox))}
    assert set(first) == {"a.yaml", "a_copy.yaml", "broken.yaml"}
    assert first["a.yaml"]["status"] == "succeeded"
    assert first["a_copy.yaml"]["status"] == "skipped"  # identical normalized spec: produced already
    assert first["a_copy.yaml"]["production_id"] == first["a.yaml"]["production_id"]
    assert first["broken.yaml"]["status"] == "invalid" and "subject.image" in first["broken.yaml"]["error"]

    (inbox / "b.yaml").write_text(SPEC.format(n=2))
    second = {Path(r["spec"]).name: r["status"] for r in batch_inbox(str(inbox))}
    assert second == {
        "a.yaml": "skipped",
        "a_copy.yaml": "skipped",
        "broken.yaml": "invalid",
        "b.yaml": "succeeded",
    }
