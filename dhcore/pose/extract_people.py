"""Which person of a photo to animate: the same choice at validation and at run time.

People are found by their faces (MediaPipe's full-range face detector, bundled in the wheel):
BlazePose itself finds one person, whichever its detector likes best, so with two people in a
photo it may pick the smaller one at the edge, or fail. The chosen person is the largest (face
height) and most central one, or `person: N` counted left to right. The pose detector is then
run on a copy of the photo in which the other people's faces are blanked out, which steers its
face-based person detector to the chosen one; coordinates stay those of the original photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dhcore.errors import InputError


@dataclass(frozen=True)
class Face:
    """A face box in normalized photo coordinates."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def centre_x(self) -> float:
        return self.x + self.w / 2

    def prominence(self) -> float:
        """Face height, weighted down to half at the photo's left or right edge."""
        return self.h * (1.0 - abs(self.centre_x - 0.5))


def find_faces(rgb: np.ndarray, min_confidence: float = 0.5) -> list[Face]:
    """Faces in the photo, left to right (the order `subject.person` counts in).

    The detector sees a 192x192 copy, so a wide group photo is also searched in overlapping
    square tiles (faces that are small in the whole photo are found there); duplicates merged.
    """
    import mediapipe as mp  # ~1 s to import; only a run or a validation needs it

    h, w = rgb.shape[:2]
    side = min(h, w)
    windows = [(0, 0, w, h)]
    if max(h, w) > 1.2 * side:
        starts = np.linspace(0, max(h, w) - side, int(np.ceil(2 * max(h, w) / side)) - 1).round().astype(int)
        windows += [(s, 0, side, side) if w > h else (0, s, side, side) for s in starts]
    faces: list[Face] = []
    with mp.solutions.face_detection.FaceDetection(
        model_selection=1, min_detection_confidence=min_confidence
    ) as detector:
        for x0, y0, ww, hh in windows:
            result = detector.process(np.ascontiguousarray(rgb[y0 : y0 + hh, x0 : x0 + ww]))
            for det in result.detections or []:
                b = det.location_data.relative_bounding_box
                if b.width > 0 and b.height > 0:
                    face = Face((x0 + b.xmin * ww) / w, (y0 + b.ymin * hh) / h, b.width * ww / w,
                                b.height * hh / h, float(det.score[0]))  # fmt: skip
                    faces = [f for f in faces if not _same(f, face) or f.score >= face.score]
                    if not any(_same(f, face) for f in faces):
                        faces.append(face)
    return sorted(faces, key=lambda f: f.centre_x)


def _same(a: Face, b: Face) -> bool:
    """One face seen twice: the centre of one inside the other's box."""
    ax, ay = a.x + a.w / 2, a.y + a.h / 2
    bx, by = b.x + b.w / 2, b.y + b.h / 2
    return (a.x <= bx <= a.x + a.w and a.y <= by <= a.y + a.h) or (
        b.x <= ax <= b.x + b.w and b.y <= ay <= b.y + b.h
    )


@dataclass(frozen=True)
class Choice:
    index: int | None  # into the faces, None when the photo shows at most one face
    faces: list[Face]

    def warning(self, name: str) -> str | None:
        if self.index is None:
            return None
        return (
            f"{name}: {len(self.faces)} people in the photo; animating person {self.index} "
            f"(counted left to right from 0; choose another with subject.person)"
        )


def choose_person(faces: list[Face], person: int | None, name: str) -> Choice:
    """The chosen face, or an InputError naming the photo when `person` does not exist."""
    if person is not None and person >= max(1, len(faces)):
        raise InputError(
            f"{name}: subject.person is {person}, but the photo shows {len(faces)} "
            f"{'person' if len(faces) == 1 else 'people'} (counted from 0)"
        )
    if len(faces) <= 1:
        return Choice(None, faces)
    if person is None:
        person = max(range(len(faces)), key=lambda i: faces[i].prominence())
    return Choice(person, faces)


def isolate(rgb: np.ndarray, choice: Choice) -> np.ndarray:
    """The photo with every face but the chosen one covered by the photo's mean colour."""
    if choice.index is None:
        return rgb
    h, w = rgb.shape[:2]
    out = rgb.copy()
    fill = rgb.reshape(-1, 3).mean(0).astype(np.uint8)
    for i, f in enumerate(choice.faces):
        if i == choice.index:
            continue
        grow_x, grow_y = 0.25 * f.w, 0.35 * f.h
        x0, x1 = int(max(0, (f.x - grow_x) * w)), int(min(w, np.ceil((f.x + f.w + grow_x) * w)))
        y0, y1 = int(max(0, (f.y - grow_y) * h)), int(min(h, np.ceil((f.y + f.h + grow_y) * h)))
        out[y0:y1, x0:x1] = fill
    return out


def _on_face(body: np.ndarray, face: Face, w: int, h: int) -> bool:
    """Whether the detected nose lies on the chosen face (its box grown by a fifth)."""
    x, y, conf = body[0]
    return bool(
        conf > 0 and abs(x - face.centre_x) <= 0.6 * face.w and abs(y - (face.y + face.h / 2)) <= 0.6 * face.h
    )


def detect_person(detector, rgb: np.ndarray, choice: Choice) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """detector.detect on the chosen person: the other faces blanked; when the pose still lands
    on someone else, again on a crop around the chosen person (coordinates mapped back).
    Returns the body of nobody (all missing) when neither finds the chosen person."""
    if choice.index is None:
        return detector.detect(rgb)
    h, w = rgb.shape[:2]
    face = choice.faces[choice.index]
    isolated = isolate(rgb, choice)
    found = detector.detect(isolated)
    if _on_face(found[0], face, w, h):
        return found
    x0 = int(max(0, (face.centre_x - 3 * face.w) * w))
    x1 = int(min(w, (face.centre_x + 3 * face.w) * w))
    y0 = int(max(0, (face.y - face.h) * h))
    crop = np.ascontiguousarray(isolated[y0:, x0:x1])
    parts = [a.copy() for a in detector.detect(crop)]
    for a in parts:
        a[..., 0] = (a[..., 0] * crop.shape[1] + x0) / w
        a[..., 1] = (a[..., 1] * crop.shape[0] + y0) / h
    if _on_face(parts[0], face, w, h):
        return parts[0], parts[1], parts[2]
    nobody = [np.where(np.isnan(a), a, np.nan).astype(np.float32) for a in parts]
    for a in nobody:
        a[..., 2] = 0.0
    return nobody[0], nobody[1], nobody[2]
