"""Fixtures for the warp animator: a figure the tests draw themselves, the astronaut portrait
with a hand-made pose, and a helper that writes a backend's input files."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest
import skimage.data

from dhcore.animate.base import AnimateInputs
from dhcore.pose.keypoints import J, PoseSequence

BACKGROUND = (215, 220, 225)
TORSO = (40, 70, 170)
SKIN = (225, 180, 150)
#: bone -> (parent joint, child joint, RGB colour): every limb bone has its own colour
LIMB_COLOURS = {
    "r_upper_arm": ("r_shoulder", "r_elbow", (210, 40, 40)),
    "r_forearm": ("r_elbow", "r_wrist", (240, 150, 30)),
    "l_upper_arm": ("l_shoulder", "l_elbow", (40, 160, 50)),
    "l_forearm": ("l_elbow", "l_wrist", (150, 210, 40)),
    "r_thigh": ("r_hip", "r_knee", (120, 40, 160)),
    "r_shin": ("r_knee", "r_ankle", (200, 60, 200)),
    "l_thigh": ("l_hip", "l_knee", (30, 170, 180)),
    "l_shin": ("l_knee", "l_ankle", (20, 110, 100)),
}
#: a standing figure on a 384x512 canvas (pixels)
FIGURE_JOINTS = {
    "nose": (192, 70), "neck": (192, 120), "r_shoulder": (150, 125), "l_shoulder": (234, 125),
    "r_elbow": (115, 195), "r_wrist": (90, 265), "l_elbow": (269, 195), "l_wrist": (294, 265),
    "r_hip": (165, 265), "l_hip": (219, 265), "r_knee": (155, 365), "r_ankle": (150, 460),
    "l_knee": (229, 365), "l_ankle": (234, 460), "r_eye": (180, 62), "l_eye": (204, 62),
    "r_ear": (170, 68), "l_ear": (214, 68),
}  # fmt: skip
LIMB_WIDTH = 22

#: the astronaut (skimage.data.astronaut, 512x512), normalized; read off MediaPipe pose
#: (model_complexity=1) once and written down; the legs are outside the photo
ASTRONAUT_POSE = {
    "nose": (0.435, 0.250), "r_eye": (0.400, 0.202), "l_eye": (0.470, 0.217),
    "r_ear": (0.372, 0.210), "l_ear": (0.523, 0.240), "r_shoulder": (0.220, 0.469),
    "l_shoulder": (0.598, 0.501), "neck": (0.409, 0.485), "r_elbow": (0.126, 0.808),
    "r_wrist": (0.264, 0.932), "l_elbow": (0.630, 0.732),
}  # fmt: skip


def real_photo_at_canvas(name: str, tmp_path: Path):
    """A real photo (tests/realdata.py) resized to the canvas a spec without a size gives it, its
    pose.extract joints there ([18, 2] pixels) and the warp animator's measured body. Skips where the
    package shipping the photo is absent."""
    from dhcore.animate.warp.body import measure_body
    from dhcore.pose import extract
    from dhcore.spec.dance import photo_canvas
    from tests import realdata

    realdata.path(name)
    source = realdata.write_photo(name, tmp_path / "photo.png")
    result = extract.STAGE.call(tmp_path / "ref", extract.Params(parts="body"), source=source)
    ref = PoseSequence.load(result.outputs["pose"].path)
    w, h = photo_canvas(realdata.rgb(name).shape[1::-1])
    photo = cv2.resize(realdata.rgb(name), (w, h), interpolation=cv2.INTER_AREA)
    joints = ref.body[0, :, :2].astype(np.float64) * (w, h)
    return photo, joints, measure_body(joints, ref.body[0, :, 2] >= 0.3, max(w, h))


def walker_driven(name: str, tmp_path: Path):
    """A real photo (tests/realdata.py) and the real walker's poses retargeted onto it at the photo's
    canvas, as dance_real makes them: (animator inputs, target pose file, width, height)."""
    from dhcore.pose import align, extract, smooth
    from dhcore.spec.dance import photo_canvas
    from tests import realdata

    realdata.path(name)
    photo = realdata.write_photo(name, tmp_path / "photo.png")
    width, height = photo_canvas(extract.read_image(photo).shape[1::-1])
    clip = realdata.pedestrian_clip(tmp_path / "walker.nut", frames=24)
    driver = extract.STAGE.call(tmp_path / "driver", extract.Params(parts="body"), source=clip)
    ref = extract.STAGE.call(tmp_path / "ref", extract.Params(parts="all"), source=photo).outputs["pose"].path
    smoothed = smooth.STAGE.call(tmp_path / "smooth", pose=driver.outputs["pose"].path).outputs["pose"].path
    target = align.STAGE.call(
        tmp_path / "align", align.Params(width=width, height=height, method="musepose", align_frame="auto"),
        reference=ref, driving=smoothed,
    ).outputs["pose"].path  # fmt: skip
    return AnimateInputs(photo, ref, target, None, width, height, Fraction(10)), target, width, height


def joints_array(named: dict[str, tuple[float, float]]) -> np.ndarray:
    """[18, 2] float64 with NaN for joints not named."""
    out = np.full((18, 2), np.nan)
    for name, xy in named.items():
        out[J[name]] = xy
    return out


def draw_figure(joints: np.ndarray, width: int = 384, height: int = 512, legs: bool = True) -> np.ndarray:
    """RGB figure: blue torso, skin head and neck, one colour per limb bone, plain background."""
    img = np.full((height, width, 3), BACKGROUND, np.uint8)

    def p(name: str) -> tuple[int, int]:
        return tuple(int(round(v)) for v in joints[J[name]])

    torso = np.array([p("r_shoulder"), p("l_shoulder"), p("l_hip"), p("r_hip")], np.int32)
    cv2.fillConvexPoly(img, torso, TORSO)
    cv2.line(img, p("neck"), p("nose"), SKIN, 18)
    for bone, (a, b, colour) in LIMB_COLOURS.items():
        if legs or not bone.endswith(("thigh", "shin")):
            cv2.line(img, p(a), p(b), colour, LIMB_WIDTH)
    head = (joints[J["r_eye"]] + joints[J["l_eye"]]) / 2
    cv2.circle(img, (int(head[0]), int(head[1])), 30, SKIN, -1)
    return img


def pose_sequence(frames: list[np.ndarray], width: int, height: int, fps: float = 24.0) -> PoseSequence:
    """PoseSequence from per-frame [18, 2] pixel joints (NaN = missing -> conf 0)."""
    seq = PoseSequence.empty(len(frames), width, height, fps)
    body = seq.body.copy()
    for f, joints in enumerate(frames):
        present = np.isfinite(joints).all(axis=1)
        body[f, present, 0] = joints[present, 0] / width
        body[f, present, 1] = joints[present, 1] / height
        body[f, present, 2] = 1.0
    return seq.replace(body=body)


def rotate(joints: np.ndarray, pivot: str, moved: list[str], degrees: float) -> np.ndarray:
    """Rotate the named joints about another joint (image coordinates, y down)."""
    out = joints.copy()
    t = np.deg2rad(degrees)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    centre = joints[J[pivot]]
    for name in moved:
        out[J[name]] = centre + rot @ (joints[J[name]] - centre)
    return out


@dataclass
class Scene:
    """Writes the files a backend reads and builds its AnimateInputs."""

    root: Path

    def inputs(
        self,
        photo: np.ndarray,
        reference: PoseSequence,
        target: PoseSequence,
        width: int,
        height: int,
        fps: Fraction = Fraction(24),
    ) -> AnimateInputs:
        self.root.mkdir(parents=True, exist_ok=True)
        photo_path = self.root / "photo.png"
        cv2.imwrite(str(photo_path), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
        reference.save(self.root / "reference.npz")
        target.save(self.root / "target.npz")
        return AnimateInputs(
            photo_path, self.root / "reference.npz", self.root / "target.npz", None, width, height, fps
        )


@pytest.fixture
def scene(tmp_path: Path) -> Scene:
    return Scene(tmp_path / "scene")


@pytest.fixture(scope="session")
def figure() -> tuple[np.ndarray, np.ndarray]:
    """(RGB photo 384x512, [18, 2] pixel joints) of the full-body figure."""
    joints = joints_array(FIGURE_JOINTS)
    return draw_figure(joints), joints


@pytest.fixture(scope="session")
def astronaut() -> tuple[np.ndarray, np.ndarray]:
    """(RGB photo 512x512, [18, 2] pixel joints, legs missing) of the half-body portrait."""
    photo = skimage.data.astronaut()
    return photo, joints_array(ASTRONAUT_POSE) * 512


@pytest.fixture(scope="session")
def helpers() -> type:
    """Module-level helpers, for test files (importlib mode cannot import this conftest)."""

    class _Helpers:
        draw_figure = staticmethod(draw_figure)
        pose_sequence = staticmethod(pose_sequence)
        rotate = staticmethod(rotate)
        joints_array = staticmethod(joints_array)
        real_photo_at_canvas = staticmethod(real_photo_at_canvas)
        walker_driven = staticmethod(walker_driven)
        LIMB_COLOURS = LIMB_COLOURS
        BACKGROUND = BACKGROUND
        TORSO = TORSO
        SKIN = SKIN

    return _Helpers


#: Debian's opencv-doc sample photos (`apt-get install opencv-doc`; .ci/run installs it)
OPENCV_DATA = Path("/usr/share/doc/opencv-doc/examples/data")


@pytest.fixture(scope="session")
def real_person():
    """(RGB photo, [18, 2] pixel joints, confidences) of a real photo by name, its pose detected
    by pose.extract; skips where the sample photos are not installed."""
    from dhcore.pose import extract

    cache: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def load(name: str, tmp: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        path = OPENCV_DATA / name
        if not path.is_file():
            pytest.skip(f"{path} missing: apt-get install opencv-doc")
        if name not in cache:
            result = extract.STAGE.call(tmp / path.stem, extract.Params(parts="body"), source=path)
            ref = PoseSequence.load(result.outputs["pose"].path)
            photo = extract.read_image(path)
            h, w = photo.shape[:2]
            cache[name] = (photo, ref.body[0, :, :2].astype(np.float64) * (w, h), ref.body[0, :, 2])
        return cache[name]

    return load
