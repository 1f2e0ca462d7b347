"""The reference body's 2D geometry: torso polygon, head disc, limb segments, body scale.

Everything here is in output-pixel coordinates of the cover-fitted photo and drawn onto
canvases that may be padded beyond the frame (`offset` = the padding), so a half-body
portrait's torso can extend past the bottom edge and still move as one piece.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from dhcore.animate.warp.skeleton import HANDLES, LIMB_PARTS, is_rigged
from dhcore.errors import InputError
from dhcore.face.faces import face_outline
from dhcore.pose.keypoints import J

_FACE = ("nose", "r_eye", "l_eye", "r_ear", "l_ear")
#: Hands and feet are not in the body skeleton: the last bone of a limb is extended to cover them.
_STUB = {"r_forearm": 0.45, "l_forearm": 0.45, "r_shin": 0.2, "l_shin": 0.2}
#: MediaPipe's confidence is its visibility: the probability that a joint is in sight, not occluded.
#: Under this the detector itself says a joint is more likely hidden than seen.
SEEN = 0.5
#: per limb, its middle and end joints
LIMB_JOINTS = {
    "r_arm": ("r_elbow", "r_wrist"), "l_arm": ("l_elbow", "l_wrist"),
    "r_leg": ("r_knee", "r_ankle"), "l_leg": ("l_knee", "l_ankle"),
}  # fmt: skip


@dataclass
class Body:
    joints: np.ndarray  # [18, 2] pixels (NaN where missing)
    ok: np.ndarray  # [18] bool
    scale: float  # shoulder width or its best stand-in, pixels
    head_center: np.ndarray | None
    head_radius: float
    torso: np.ndarray | None  # [k, 2] polygon: shoulders and (possibly extrapolated) hips
    #: part -> list of (handle name, a, b): the rigged limb bones in pixels
    segments: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = field(default_factory=dict)
    #: [k, 2] convex outline of the face (jaw line to above the brows) from the photo's 68 face
    #: landmarks, or None: the head disc alone does not reach a chin tucked into the collar
    face: np.ndarray | None = None

    def point(self, name: str) -> np.ndarray | None:
        return self.joints[J[name]] if self.ok[J[name]] else None

    @property
    def head_only(self) -> bool:
        """A photo cut off at the neck (pose.extract keeps its face points alone)."""
        return self.torso is None and not self.ok[J["neck"]]

    def limb_parts(self) -> list[str]:
        return [p for p in LIMB_PARTS if self.segments.get(p)]

    def reach(self, part: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """The part's bones with the last one extended over the hand or foot."""
        return [(name, a, b + (b - a) * _STUB.get(name, 0.0)) for name, a, b in self.segments.get(part, [])]


def measure_body(
    joints: np.ndarray, ok: np.ndarray, frame_side: int, face_landmarks: np.ndarray | None = None
) -> Body:
    """Derive the reference geometry; raises InputError when no torso or head is visible.
    face_landmarks: [68, 2] iBUG points in the same pixels, or None where the photo shows no face."""
    ok = ok & np.isfinite(joints).all(axis=1)

    def pt(name: str) -> np.ndarray | None:
        return joints[J[name]] if ok[J[name]] else None

    neck, nose = pt("neck"), pt("nose")
    rs, ls = pt("r_shoulder"), pt("l_shoulder")
    if neck is None and rs is not None and ls is not None:
        neck = (rs + ls) / 2
    if neck is None and nose is None:
        raise InputError("reference pose shows neither a neck nor a face: no person to animate")
    scale = 0.0
    if rs is not None and ls is not None:
        scale = float(np.hypot(*(rs - ls)))
    if neck is not None and nose is not None:
        scale = max(scale, 1.2 * float(np.hypot(*(neck - nose))))
    if scale < 4:
        scale = 0.25 * frame_side

    face = [joints[J[n]] for n in _FACE if ok[J[n]]]
    head_center = np.mean(face, axis=0) if face else None
    head_radius = 0.3 * scale
    if nose is not None and neck is not None:
        head_radius = 0.6 * float(np.hypot(*(neck - nose)))
    if ok[J["r_ear"]] and ok[J["l_ear"]]:
        head_radius = max(head_radius, 0.75 * float(np.hypot(*(joints[J["r_ear"]] - joints[J["l_ear"]]))))

    torso = None
    if rs is not None and ls is not None:
        rh, lh = pt("r_hip"), pt("l_hip")
        if rh is None or lh is None:
            down = _away_from_head(rs, ls, head_center)
            rh = rs + 1.5 * scale * down if rh is None else rh
            lh = ls + 1.5 * scale * down if lh is None else lh
        torso = np.array([rs, ls, lh, rh], dtype=np.float64)

    segments: dict[str, list[tuple[str, np.ndarray, np.ndarray]]] = {}
    for h in HANDLES:
        if h.kind != "bone" or h.part == "core" or not is_rigged(h, ok):
            continue
        a, b = joints[h.joints[0]].astype(np.float64), joints[h.joints[1]].astype(np.float64)
        segments.setdefault(h.part, []).append((h.name, a, b))
    face = None
    if face_landmarks is not None and head_center is not None and np.isfinite(face_landmarks).all():
        hull = cv2.convexHull(face_outline(face_landmarks).astype(np.float32))
        # the landmarks must be this body's face (a face detector may have picked another person)
        if cv2.pointPolygonTest(hull, (float(head_center[0]), float(head_center[1])), False) >= 0:
            face = hull.reshape(-1, 2).astype(np.float64)
    return Body(joints, ok, scale, head_center, head_radius, torso, segments, face)


def hidden_limbs(
    joints: np.ndarray, confidence: np.ndarray, ok: np.ndarray, width: int, height: int
) -> dict[str, list[str]]:
    """Limbs the photo hides behind something inside the frame (a helmet held in front of the arm):
    the end joint (wrist, ankle) is not shown, and the middle joint, though inside the frame and
    above the animator's threshold, is more likely hidden than seen. Its place is then the
    detector's guess, and a limb cut along it carries whatever the photo shows there (the chest,
    the held object): such a limb is not cut out. Returns part -> its joints the animator would
    have moved (above its threshold), which it holds still instead.

    A middle joint outside the frame (a portrait's elbows) is cut by the frame edge, not hidden:
    the limb's visible part still moves."""
    hidden: dict[str, list[str]] = {}
    for part, (mid, end) in LIMB_JOINTS.items():
        m, e = J[mid], J[end]
        x, y = joints[m]
        inside = bool(np.isfinite(joints[m]).all() and 0 <= x < width and 0 <= y < height)
        if ok[m] and not ok[e] and inside and confidence[m] < SEEN:
            hidden[part] = [mid]
    return hidden


def _away_from_head(rs: np.ndarray, ls: np.ndarray, head: np.ndarray | None) -> np.ndarray:
    """Unit normal of the shoulder line pointing away from the head (down for an upright person)."""
    d = ls - rs
    n = np.array([-d[1], d[0]]) / max(1e-6, float(np.hypot(*d)))
    mid = (rs + ls) / 2
    if head is not None and float(np.dot(head - mid, n)) > 0:
        n = -n
    elif head is None and n[1] < 0:
        n = -n
    return n


def _px(points: np.ndarray, offset: int) -> np.ndarray:
    """Fixed-point (4 fractional bits) int32 points for cv2 drawing with shift=4."""
    return np.round((np.asarray(points, dtype=np.float64) + offset) * 16).astype(np.int32)


def draw_core(body: Body, shape: tuple[int, int], offset: int, grow: float = 1.0) -> np.ndarray:
    """uint8 mask of torso polygon + head disc + neck (grow > 1 enlarges the head and neck)."""
    canvas = np.zeros(shape, np.uint8)
    if body.torso is not None:
        cv2.fillConvexPoly(canvas, _px(body.torso, offset), 255, cv2.LINE_8, 4)
    neck = body.point("neck")
    if neck is None and body.torso is not None:
        neck = (body.torso[0] + body.torso[1]) / 2
    if body.head_center is not None:
        r = round(body.head_radius * grow * 16)
        cv2.circle(canvas, tuple(int(v) for v in _px(body.head_center, offset)), r, 255, -1, cv2.LINE_8, 4)
        if neck is not None:
            thick = max(1, round(0.5 * body.head_radius * grow))
            a, b = _px(neck, offset), _px(body.head_center, offset)
            cv2.line(canvas, tuple(int(v) for v in a), tuple(int(v) for v in b), 255, thick, cv2.LINE_8, 4)
    elif neck is not None:
        cv2.circle(
            canvas, tuple(int(v) for v in _px(neck, offset)), round(0.2 * body.scale * 16), 255, -1, 8, 4
        )
    return canvas


def draw_segments(
    segments: list[tuple[str, np.ndarray, np.ndarray]],
    shape: tuple[int, int],
    offset: int,
    thickness: int = 1,
) -> np.ndarray:
    canvas = np.zeros(shape, np.uint8)
    for _, a, b in segments:
        pa, pb = _px(a, offset), _px(b, offset)
        cv2.line(canvas, (int(pa[0]), int(pa[1])), (int(pb[0]), int(pb[1])), 255, thickness, cv2.LINE_8, 4)
    return canvas


def distance_to(mask: np.ndarray) -> np.ndarray:
    """float32 distance of every pixel to the nearest nonzero pixel of mask (0 on it)."""
    if not mask.any():
        return np.full(mask.shape, np.float32(1e6), np.float32)
    return cv2.distanceTransform((mask == 0).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
