"""A submitted spec travels as text plus store keys; a worker with another home and mount point runs it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from dhcore.catalog.store import AssetStore
from dhcore.errors import InputError
from dhcore.spec.loader import load_spec
from dhcore.submission import Submission, load_submitted, pack

SPEC = """\
version: 1
kind: dance_video
name: travelling
# the photo is beside the spec, the motion one folder up
subject: {image: astronaut.png}   # flow style
motion:
  type: keypoints
  path: "../shared/dance.pose.npz"
"""


@pytest.fixture
def submitter(demo_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A spec on the submitter's host, with a photo beside it and a motion in a sibling folder."""
    monkeypatch.setenv("DH_ALLOWED_ROOTS", str(tmp_path / "alice" / "shared"))
    (tmp_path / "alice" / "specs").mkdir(parents=True)
    (tmp_path / "alice" / "shared").mkdir()
    shutil.copyfile(demo_assets / "assets" / "astronaut.png", tmp_path / "alice" / "specs" / "astronaut.png")
    shutil.copyfile(
        demo_assets / "assets" / "dance.pose.npz", tmp_path / "alice" / "shared" / "dance.pose.npz"
    )
    spec = tmp_path / "alice" / "specs" / "dance.yaml"
    spec.write_text(SPEC)
    return spec


def test_a_worker_with_its_own_home_and_mount_point_runs_the_submitted_spec(
    submitter: Path, tmp_path: Path
) -> None:
    loaded = load_spec(submitter)
    submission = Submission.model_validate_json(
        pack(loaded, AssetStore(tmp_path / "store")).model_dump_json()
    )
    assert str(tmp_path) not in "".join(i.key for i in submission.inputs)  # keys, not this host's paths
    shutil.rmtree(tmp_path / "alice")  # nothing of the submitter's host is needed from here on
    shutil.copytree(tmp_path / "store", tmp_path / "mnt" / "dh-store")  # the shared store, mounted elsewhere

    worker = AssetStore(tmp_path / "mnt" / "dh-store")
    shutil.rmtree(tmp_path / "store")
    unpacked = load_submitted(submission, worker, home=tmp_path / "worker-home")
    assert unpacked.path.is_relative_to(tmp_path / "worker-home" / "submissions")
    assert all(p.is_relative_to(unpacked.path.parent) and p.is_file() for p in unpacked.files.values())
    text = unpacked.path.read_text()
    assert (
        text.splitlines()[3] == "# the photo is beside the spec, the motion one folder up"
    )  # only paths change
    assert len(text.splitlines()) == len(SPEC.splitlines()) and "flow style" in text
    assert unpacked.sha256 == loaded.sha256 and unpacked.origin.endswith(":" + str(submitter))
    assert unpacked.name == submission.production_name() == "travelling"
    assert unpacked.normalized()["animate"] == loaded.normalized()["animate"]
    again = load_submitted(submission, worker, home=tmp_path / "worker-home")  # unpacked once
    assert again.path == unpacked.path


def test_a_worker_that_does_not_share_the_store_says_so(submitter: Path, tmp_path: Path) -> None:
    submission = pack(load_spec(submitter), AssetStore(tmp_path / "submitter-store"))
    with pytest.raises(
        InputError, match=r"subject\.image \(astronaut\.png\): not in this worker's asset store"
    ):
        load_submitted(submission, AssetStore(tmp_path / "another-store"), home=tmp_path / "w")


def test_a_submission_cannot_name_files_outside_the_store_or_the_worker_folder(
    submitter: Path, tmp_path: Path
) -> None:
    good = pack(load_spec(submitter), AssetStore(tmp_path / "store")).model_dump()
    for field, value in (
        ("key", "../../etc/passwd"),
        ("name", "../escape.png"),
        ("name", ".."),
        ("name", "."),
    ):
        bad = {**good, "inputs": [{**good["inputs"][0], field: value}]}
        with pytest.raises(ValidationError):
            Submission.model_validate(bad)
    with pytest.raises(ValidationError):
        Submission.model_validate({**good, "spec_name": "../../x.yaml"})
    sneaky = Submission.model_validate({**good, "spec_text": SPEC.replace("astronaut.png", "/etc/hostname")})
    sneaky = sneaky.model_copy(
        update={"inputs": sneaky.inputs[1:]}
    )  # the photo not submitted: a path of its own
    with pytest.raises(Exception, match="outside the allowed roots"):
        load_submitted(sneaky, AssetStore(tmp_path / "store"), home=tmp_path / "w")
