"""Shared fixtures of the face tests: packaged photos, the dlib analyzer, an isolated model store."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.face.faces import FaceAnalyzer, load_analyzer, read_image
from dhcore.models import registry


# -- photos -----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


@pytest.fixture(scope="session")
def hopper_path() -> Path:
    import matplotlib.cbook

    return Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


@pytest.fixture(scope="session")
def t1_image() -> np.ndarray:
    import insightface

    return read_image(Path(insightface.__file__).parent / "data" / "images" / "t1.jpg")


@pytest.fixture(scope="session")
def dlib_faces() -> FaceAnalyzer:
    return load_analyzer("dlib")


@pytest.fixture
def astronaut_path(tmp_path: Path, astronaut: np.ndarray) -> Path:
    path = tmp_path / "astronaut.png"
    cv2.imwrite(str(path), astronaut[:, :, ::-1])
    return path


# -- model registry ---------------------------------------------------------------------------
@pytest.fixture
def models_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty model store; registry entries with public hashes are relaxed so tiny models fit."""
    root = tmp_path / "models"
    monkeypatch.setenv("DH_MODELS_DIR", str(root))
    for model_id in ("inswapper_128", "buffalo_l"):
        monkeypatch.setitem(registry.REGISTRY, model_id, replace(registry.get(model_id), sha256={}))
    return root


@pytest.fixture(scope="session")
def two_heads(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A real head-only photo of two people (insightface's Tom Hanks crop, upscaled, left of Grace
    Hopper cut off at the chin), the pose pose.extract gives for `subject.person: 1` (Hopper, not the
    default choice: a head with no neck) and two frames of the photo softened as animation does, with
    that pose as their target: (photo, pose, frames)."""
    from dhcore.pose import extract
    from dhcore.pose.keypoints import PoseSequence
    from tests import realdata
    from tests.dhcore.face.face_helpers import write_frames

    folder = tmp_path_factory.mktemp("two_heads")
    hopper = realdata.rgb("grace_hopper")[:370]
    hanks = cv2.resize(realdata.rgb("face_crop"), (370, 370), interpolation=cv2.INTER_CUBIC)
    photo = folder / "two.png"
    cv2.imwrite(str(photo), cv2.cvtColor(np.hstack([hanks, hopper]), cv2.COLOR_RGB2BGR))
    extracted = extract.STAGE.call(folder / "pose", extract.Params(person=1), source=photo)
    pose_path = extracted.outputs["pose"].path
    pose = PoseSequence.load(pose_path)
    frames = np.stack([cv2.GaussianBlur(read_image(photo), (0, 0), 1.2)] * 2)
    target = pose.replace(**{k: np.repeat(getattr(pose, k), 2, axis=0) for k in ("body", "hands", "face")})
    target.save(folder / "target.npz")
    return photo, pose_path, write_frames(folder / "frames.nut", frames, fps=10)
