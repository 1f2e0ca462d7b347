"""MediaPipe's 478-point face mesh (0.10.21, the model inside the wheel): finding one face, and the
vertex groups that expressions move.

Points are [478, 3] float32 in image pixels (z in the same scale as x, smaller = nearer the camera).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np

from dhcore.errors import InputError

MESH_POINTS = 478
LIPS_OUTER_UPPER = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291]
LIPS_OUTER_LOWER = [291, 375, 321, 405, 314, 17, 84, 181, 91, 146, 61]
LIPS_INNER_UPPER = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308]
LIPS_INNER_LOWER = [308, 324, 318, 402, 317, 14, 87, 178, 88, 95, 78]
#: the inner lip contour as one closed polygon (upper left->right, then lower right->left)
INNER_LIPS = LIPS_INNER_UPPER + LIPS_INNER_LOWER[1:-1]
OUTER_LIPS = LIPS_OUTER_UPPER + LIPS_OUTER_LOWER[1:-1]
#: lids of each eye (image-left eye = the subject's right), corner to corner
EYES = {
    "right": ([33, 246, 161, 160, 159, 158, 157, 173, 133], [33, 7, 163, 144, 145, 153, 154, 155, 133]),
    "left": ([362, 398, 384, 385, 386, 387, 388, 466, 263], [362, 382, 381, 380, 374, 373, 390, 249, 263]),
}
IRISES = {"right": list(range(468, 473)), "left": list(range(473, 478))}
BROWS = {
    "right": [70, 63, 105, 66, 107, 55, 65, 52, 53, 46],
    "left": [336, 296, 334, 293, 300, 276, 283, 282, 295, 285],
}
FACE_OVAL = [
    10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
    176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
]  # fmt: skip
MOUTH_CORNERS = (61, 291)
CHIN = 152
#: smallest inter-ocular distance (pixels) the mesh and the warp work at
MIN_EYE_DISTANCE = 24.0

_LOCK = threading.Lock()


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image-left and image-right eye centres (the mean of each eye's lids)."""
    right = points[EYES["right"][0] + EYES["right"][1], :2].mean(0)
    left = points[EYES["left"][0] + EYES["left"][1], :2].mean(0)
    return right, left


def eye_distance(points: np.ndarray) -> float:
    a, b = eye_centres(points)
    return float(np.linalg.norm(b - a))


def mouth_opening(points: np.ndarray) -> float:
    """Inner-lip gap at the centre over the mouth's width: 0 closed, ~0.5 wide open."""
    gap = np.linalg.norm(points[14, :2] - points[13, :2])
    width = np.linalg.norm(points[MOUTH_CORNERS[1], :2] - points[MOUTH_CORNERS[0], :2])
    return float(gap / width) if width > 0 else 0.0


def eye_opening(points: np.ndarray, eye: str) -> float:
    """Lid gap (mean of the middle lid pairs) over the eye's width."""
    upper, lower = EYES[eye]
    gap = np.linalg.norm(points[upper[3:6], :2] - points[lower[3:6], :2], axis=1).mean()
    width = np.linalg.norm(points[upper[-1], :2] - points[upper[0], :2])
    return float(gap / width) if width > 0 else 0.0


class FaceMesh:
    """A warm MediaPipe face mesh; `video=True` tracks across frames (faster, steadier)."""

    def __init__(self, video: bool = False, max_faces: int = 4) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=not video, max_num_faces=max_faces, refine_landmarks=True,
            min_detection_confidence=0.5, min_tracking_confidence=0.5,
        )  # fmt: skip

    def all(self, image: np.ndarray) -> list[np.ndarray]:
        """Every face's points [478, 3], largest first."""
        h, w = image.shape[:2]
        with _LOCK:
            result = self._mesh.process(np.ascontiguousarray(image[..., :3]))
        faces = [
            np.array([[p.x * w, p.y * h, p.z * w] for p in found.landmark], np.float32)
            for found in result.multi_face_landmarks or []
        ]
        return sorted(faces, key=lambda f: -eye_distance(f))

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> FaceMesh:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def one_face(image: np.ndarray, where: str, mesh: FaceMesh | None = None) -> np.ndarray:
    """The mesh of the one face in a photo; InputError naming `where` for none, several or too small.

    The mesh's own detector is short-range (faces filling the photo); the full-range detector also
    counts small faces in a group photo, so a group is refused rather than silently reduced to one.
    """
    from dhcore.pose.extract_people import find_faces

    own = mesh is None
    mesh = mesh or FaceMesh(video=False)
    try:
        faces = mesh.all(image)
    finally:
        if own:
            mesh.close()
    found = find_faces(image)
    biggest = max((f.h for f in found), default=0.0)
    rivals = [f for f in found if f.h > 0.5 * biggest]
    meshed = [f for f in faces if eye_distance(f) > 0.5 * eye_distance(faces[0])] if faces else []
    if len(rivals) > 1 or len(meshed) > 1:
        count = max(len(rivals), len(meshed))
        raise InputError(
            f"{where}: {count} faces found; give a photo of one person (crop it to the face wanted)"
        )
    if not faces:
        if found:
            raise InputError(
                f"{where}: the face is too small or turned away for the face mesh: use a closer, frontal photo"
            )
        raise InputError(f"{where}: no face found")
    size = eye_distance(faces[0])
    if size < MIN_EYE_DISTANCE:
        raise InputError(
            f"{where}: the face is too small ({size:.0f} px between the eyes; at least "
            f"{MIN_EYE_DISTANCE:.0f} needed): use a larger or closer photo"
        )
    return faces[0]


def track(frames: Iterator[np.ndarray], where: str) -> Iterator[np.ndarray | None]:
    """The largest face's mesh in each video frame (None where none is found)."""
    with FaceMesh(video=True, max_faces=1) as mesh:
        for frame in frames:
            faces = mesh.all(frame)
            yield faces[0] if faces else None
