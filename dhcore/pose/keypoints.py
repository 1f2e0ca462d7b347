"""Keypoint sequences: the OpenPose-18 body, two 21-point hands and 68 face points per frame.

Coordinates are normalized by the image width and height (x/W, y/H). A point that was not
detected has confidence 0 and NaN coordinates, so an accidental use shows up instead of
silently pulling a joint to the corner. Hands are indexed [left, right] of the person.
Files are plain .npz archives loaded with allow_pickle=False. `depth` (optional, [F, 18]) is the
detector's per-joint depth of the body (MediaPipe's z: towards the camera is smaller, in units of
the image width); NaN where unknown, None (no array in the file) when the detector gives none.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dhcore import limits
from dhcore.errors import InputError

FORMAT = "dh-pose/1"
N_BODY, N_HAND, N_FACE = 18, 21, 68

BODY_NAMES = (
    "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow", "l_wrist",
    "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle", "r_eye", "l_eye", "r_ear", "l_ear",
)  # fmt: skip
J = {name: i for i, name in enumerate(BODY_NAMES)}
#: The body points of the face (a head seen from the front or side shows some of them)
FACE_JOINTS = tuple(J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear"))

#: OpenPose body limbs (parent, child), in the order OpenPose renders them.
BODY_LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip

#: Hand bones (parent, child): wrist root 0, then four joints per finger.
HAND_BONES = tuple((0 if k == 0 else base + k - 1, base + k) for base in (1, 5, 9, 13, 17) for k in range(4))

UPPER_BODY = (0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 16, 17)


@dataclass(frozen=True)
class PoseSequence:
    body: np.ndarray  # float32 [F, 18, 3]
    hands: np.ndarray  # float32 [F, 2, 21, 3]
    face: np.ndarray  # float32 [F, 68, 3]
    width: int
    height: int
    fps: float
    depth: np.ndarray | None = None  # float32 [F, 18]

    def __post_init__(self) -> None:
        f = self.body.shape[0]
        expected = {"body": (f, N_BODY, 3), "hands": (f, 2, N_HAND, 3), "face": (f, N_FACE, 3)}
        if self.depth is not None:
            expected["depth"] = (f, N_BODY)
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise InputError(f"pose {name} has shape {getattr(self, name).shape}, expected {shape}")
        if self.width <= 0 or self.height <= 0 or not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(f"pose has invalid size {self.width}x{self.height} or fps {self.fps}")

    def __len__(self) -> int:
        return int(self.body.shape[0])

    @classmethod
    def empty(cls, frames: int, width: int, height: int, fps: float) -> PoseSequence:
        """All points missing: the starting point for detectors and tests."""

        def blank(*shape: int) -> np.ndarray:
            a = np.full((*shape, 3), np.nan, dtype=np.float32)
            a[..., 2] = 0.0
            return a

        return cls(blank(frames, N_BODY), blank(frames, 2, N_HAND), blank(frames, N_FACE), width, height, fps)

    def slice(self, start: int, stop: int) -> PoseSequence:
        return PoseSequence(
            self.body[start:stop], self.hands[start:stop], self.face[start:stop],
            self.width, self.height, self.fps, None if self.depth is None else self.depth[start:stop],
        )  # fmt: skip

    def replace(self, **changes: object) -> PoseSequence:
        fields = {k: getattr(self, k) for k in ("body", "hands", "face", "width", "height", "fps", "depth")}
        fields.update(changes)
        return PoseSequence(**fields)  # type: ignore[arg-type]

    @property
    def aspect(self) -> float:
        return self.width / self.height

    def visible(self, threshold: float = 0.3) -> np.ndarray:
        """[F, 18] mask of body joints confidently present."""
        return (self.body[..., 2] >= threshold) & np.isfinite(self.body[..., 0])

    def save(self, path: str | Path) -> None:
        depth = {} if self.depth is None else {"depth": self.depth.astype(np.float32)}
        with open(path, "wb") as fh:
            np.savez_compressed(
                fh, format=np.array(FORMAT), body=self.body.astype(np.float32),
                hands=self.hands.astype(np.float32), face=self.face.astype(np.float32),
                size=np.array([self.width, self.height], dtype=np.int64),
                fps=np.array(self.fps, dtype=np.float64), **depth,
            )  # fmt: skip

    @classmethod
    def load(cls, path: str | Path) -> PoseSequence:
        """Read a keypoint file; any broken, hostile or oversized file is an InputError naming it.

        Array shapes are read from the .npy headers before any array is, so a million-frame
        file is refused without loading gigabytes (DH_MAX_KEYPOINT_FRAMES).
        """
        if problem := limits.special_file_problem(Path(path)):
            raise InputError(f"{path}: {problem}")
        try:
            loaded = np.load(path, allow_pickle=False)
            if not isinstance(loaded, np.lib.npyio.NpzFile):
                raise InputError(f"{path}: not a dh keypoint file (a bare .npy array, not an .npz archive)")
            with loaded as z:
                return cls._from_npz(path, z)
        except InputError:
            raise
        except Exception as exc:  # noqa: BLE001 - zip, zlib, header and dtype errors of a broken file
            raise InputError(f"{path}: unreadable keypoint file ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _from_npz(cls, path: str | Path, z: np.lib.npyio.NpzFile) -> PoseSequence:
        fmt = str(z["format"]) if "format" in z.files else ""
        if fmt != FORMAT:
            raise InputError(f"{path}: not a dh keypoint file (format {fmt!r:.60}, expected {FORMAT!r})")
        missing = [k for k in ("body", "hands", "face", "size", "fps") if k not in z.files]
        if missing:
            raise InputError(f"{path}: keypoint file lacks {', '.join(missing)}")
        frames = _npz_shape(z, "body")[:1]
        most = int(limits.KEYPOINT_FRAMES.value())
        if frames and frames[0] > most:
            raise InputError(
                f"{path}: {frames[0]} frames, more than {most} (DH_MAX_KEYPOINT_FRAMES raises the limit)"
            )
        size, fps = z["size"], z["fps"]
        if size.shape != (2,) or size.dtype.kind not in "iu":
            raise InputError(f"{path}: 'size' must be two integers (width, height), got shape {size.shape}")
        if fps.shape != () or fps.dtype.kind not in "iuf":
            raise InputError(f"{path}: 'fps' must be one number, got shape {fps.shape}")
        width, height = (int(v) for v in size)
        if problem := limits.size_problem(width, height):
            raise InputError(f"{path}: {problem}")
        if problem := limits.fps_problem(float(fps)):
            raise InputError(f"{path}: {problem}")
        arrays = {}
        for name in ("body", "hands", "face", *(["depth"] if "depth" in z.files else [])):
            arr = z[name]
            if arr.dtype.kind not in "iuf":
                raise InputError(f"{path}: '{name}' holds {arr.dtype}, not numbers")
            arrays[name] = arr.astype(np.float32)
        return cls(
            arrays["body"], arrays["hands"], arrays["face"], width, height, float(fps), arrays.get("depth")
        )


def _npz_shape(z: np.lib.npyio.NpzFile, name: str) -> tuple[int, ...]:
    """An array's shape from its .npy header, without reading the data."""
    with z.zip.open(f"{name}.npy") as fh:
        major, _ = np.lib.format.read_magic(fh)
        read = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        shape, _, _ = read(fh)
    return tuple(shape)
