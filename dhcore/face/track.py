"""Following the reference person's face across frames, with smoothed boxes and landmarks.

Per frame the tracker searches a window around the last box (scaled so the face has the
detector's preferred size: cheap and scale-independent), keeps candidates that overlap the
last box, and falls back to the whole frame when the face is lost; given the target pose, a face lost
within the last half second is looked for where the pose puts it (head_boxes) instead: the animator
drew it there, and that window at the detector's size is a small crop where the whole frame of a
full-body dancer needs 4x upsampling (about 0.5 s a frame with dlib). A new track picks, among
all faces, the one closest to the reference embedding among those within the same-person
threshold (FaceFusion's "reference" selection), else the most confident detection; when
several candidates overlap the last box the embedding decides too. Boxes, key points and
landmarks pass through One-Euro filters so anything pasted back does not jitter; other faces
are never returned, so stages leave them alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from dhcore.face.faces import Face, FaceAnalyzer, box_iou
from dhcore.face.params import TrackingParams
from dhcore.pose.keypoints import FACE_JOINTS, J, PoseSequence

#: the face's size in nose-to-neck lengths, taken generously: a dlib face box measured 0.6-2.1 of them
#: (median about 1) on the dance benchmark's five pairs; its search window (0.8 of it each side of the
#: nose) then leaves HOG a margin around the face (1.5 missed faces on the edge of the window)
HEAD_SIZE = 2.0
#: the same box in spreads of the face points (the largest distance between two of the nose, eyes and
#: ears), for a head without a neck (a photo cut off at the neck): on 8 real photos that show both the
#: neck-based box measured 1.2-3.8 spreads (median 2.3; 2.6 on the half-body pair's 24 animated frames),
#: and a dlib face 1.0-1.5 spreads (median 1.3), so 2.5 keeps the box about two faces wide
SPREAD_SIZE = 2.5


def head_boxes(pose: PoseSequence, width: int, height: int, min_confidence: float = 0.3) -> np.ndarray:
    """[F, 4] where each frame's pose puts the face, in pixels of a width x height frame: a square on
    the nose, HEAD_SIZE nose-to-neck lengths wide (the eyes and ears of a turned head are unreliable);
    without a neck (a head-only photo's pose), SPREAD_SIZE spreads of the face points wide; NaN where
    the pose shows no nose, or neither a neck nor two more face points."""
    xy = pose.body[..., :2] * (width, height)
    vis = pose.visible(min_confidence)
    nose, neck = xy[:, J["nose"]], xy[:, J["neck"]]
    with_neck = vis[:, J["nose"]] & vis[:, J["neck"]]
    size = np.where(
        with_neck, HEAD_SIZE * np.linalg.norm(nose - neck, axis=-1), SPREAD_SIZE * face_spread(xy, vis)
    )
    half = np.where(vis[:, J["nose"]], size / 2, np.nan)[:, None]
    return np.concatenate([nose - half, nose + half], axis=1).astype(np.float32)


def face_spread(xy: np.ndarray, visible: np.ndarray) -> np.ndarray:
    """[F] the largest distance between two shown face points (nose, eyes, ears) of body points
    xy [F, 18, 2]; NaN where fewer than three are shown (the nose and one eye span a third of a face:
    its box would be too small to search for the face in). Unlike the eye distance it holds when the
    head turns (an ear comes into view as the other eye goes)."""
    face = list(FACE_JOINTS)
    pts = np.where(visible[:, face, None], xy[:, face], np.nan)
    dist = np.linalg.norm(pts[:, :, None] - pts[:, None, :], axis=-1)  # NaN where either is hidden
    spread = np.where(np.isnan(dist), -1.0, dist).max(axis=(1, 2))
    return np.where(visible[:, face].sum(axis=1) >= 3, spread, np.nan)


def load_heads(pose: Path | str | None, width: int, height: int) -> np.ndarray | None:
    """head_boxes of a face stage's optional target pose (the animator's input)."""
    return head_boxes(PoseSequence.load(Path(pose)), width, height) if pose is not None else None


def search_window(analyzer: FaceAnalyzer, frame: np.ndarray, box: np.ndarray) -> list[Face]:
    """Faces in a window around `box` (pixels), scaled so a face of the box's size has the detector's
    preferred size: cheap, and small faces a whole-frame search misses are found."""
    h, w = frame.shape[:2]
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    size = float(np.sqrt(max(1.0, (box[2] - box[0]) * (box[3] - box[1]))))
    half = size * 0.8  # +-30 % of the face size of motion between frames
    x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
    x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return []
    scale = float(np.clip(analyzer.preferred_face_px / size, 0.4, 3.0))
    crop = frame[y0:y1, x0:x1]
    if abs(scale - 1.0) > 0.05:
        crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
    found = analyzer.detect(np.ascontiguousarray(crop))
    return [f.translated(x0, y0, scale) for f in found]


class OneEuro:
    """One-Euro filter (Casiez et al. 2012) over arrays of any shape."""

    def __init__(self, min_cutoff: float, beta: float, d_cutoff: float = 1.0) -> None:
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None
        self._t = 0.0

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, dt: float) -> np.ndarray | float:
        tau = 1.0 / (2 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x: np.ndarray, t: float, scale: float = 1.0) -> np.ndarray:
        """Filtered x at time t (seconds); speeds are measured in units of `scale` per second."""
        x = np.asarray(x, np.float64)
        if self._x is None or self._x.shape != x.shape or t <= self._t:
            self._x, self._dx, self._t = x.copy(), np.zeros_like(x), t
            return x.astype(np.float32)
        dt = t - self._t
        dx = (x - self._x) / dt
        self._dx = self._dx + self._alpha(self.d_cutoff, dt) * (dx - self._dx)
        # the cutoff adapts to the speed of the whole shape, so points move together
        speed = float(np.sqrt(np.mean(self._dx**2))) / max(scale, 1e-6)
        cutoff = self.min_cutoff + self.beta * speed
        self._x = self._x + self._alpha(cutoff, dt) * (x - self._x)
        self._t = t
        return self._x.astype(np.float32)


@dataclass
class TrackedFace:
    index: int
    track_id: int
    face: Face  # the raw detection in frame pixels
    box: np.ndarray  # smoothed [4]
    kps: np.ndarray  # smoothed [5, 2]
    landmarks: np.ndarray | None = None  # smoothed [68, 2] when the tracker was asked for them
    embedding: np.ndarray | None = None
    distance: float | None = None  # to the reference embedding, when computed


class FaceTracker:
    def __init__(
        self,
        analyzer: FaceAnalyzer,
        reference: np.ndarray | None,
        fps: float,
        params: TrackingParams | None = None,
        landmarks: bool = False,
        match_threshold: float = 0.6,
        iou_min: float = 0.25,
        heads: np.ndarray | None = None,
    ) -> None:
        """`heads`: head_boxes of the target pose, where a lost face is searched instead of the whole frame."""
        self.analyzer = analyzer
        self.reference = reference
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.params = params or TrackingParams()
        self.want_landmarks = landmarks
        self.iou_min = iou_min
        self.match_threshold = match_threshold
        self.heads = heads
        self.track_id = 0
        self._last: Face | None = None
        self._last_index = -(10**9)
        self._filters: dict[str, OneEuro] = {}

    # -- detection -------------------------------------------------------------------------
    def _distance(self, frame: np.ndarray, face: Face) -> float:
        emb = self.analyzer.embed(frame, face)
        face.extra["embedding"] = emb
        return self.analyzer.distance(emb, self.reference)

    def _pick(self, frame: np.ndarray, faces: list[Face], last: Face | None) -> Face | None:
        """Several faces overlap the last box: the closest to the reference (else the best overlap)."""
        if len(faces) <= 1:
            return faces[0] if faces else None
        if self.reference is not None:
            return min(faces, key=lambda f: self._distance(frame, f))
        return max(faces, key=lambda f: box_iou(f.box, last.box) if last is not None else f.size)

    def _acquire(self, frame: np.ndarray, faces: list[Face]) -> Face | None:
        """A new track: the face closest to the reference among those that match it; when none
        matches (identity drifted, or the person is absent), the most confident detection, so a
        weak false detection that happens to be closer never wins over a real face."""
        if len(faces) <= 1 or self.reference is None:
            return max(faces, key=lambda f: f.score) if faces else None
        distances = [self._distance(frame, f) for f in faces]
        matching = [(d, i) for i, d in enumerate(distances) if d <= self.match_threshold]
        if matching:
            return faces[min(matching)[1]]
        return max(faces, key=lambda f: f.score)

    def update(self, frame: np.ndarray, index: int) -> TrackedFace | None:
        """The reference person's face in this frame, or None when it has none."""
        max_gap = max(1, int(round(self.fps / 2)))
        last = self._last if index - self._last_index <= max_gap else None
        every = self.params.redetect_every
        chosen: Face | None = None
        if last is not None and not (every and index % every == 0):
            near = [
                f
                for f in search_window(self.analyzer, frame, last.box)
                if box_iou(f.box, last.box) >= self.iou_min
            ]
            chosen = self._pick(frame, near, last)
        new_track = False
        if chosen is None:
            head = self._head(index) if last is not None else None  # a new track: every face, anywhere
            everyone = (
                search_window(self.analyzer, frame, head) if head is not None else self.analyzer.detect(frame)
            )
            if last is not None:
                near = [f for f in everyone if box_iou(f.box, last.box) >= self.iou_min]
                chosen = self._pick(frame, near, last)
            if chosen is None:
                chosen = self._acquire(frame, everyone)
                new_track = chosen is not None
        if chosen is None:
            return None
        if new_track:
            self.track_id += 1
            self._filters = {}
        self._last, self._last_index = chosen, index
        landmarks = self.analyzer.landmarks68(frame, chosen) if self.want_landmarks else chosen.landmarks
        t, size = index / self.fps, chosen.size
        tracked = TrackedFace(
            index=index, track_id=self.track_id, face=chosen,
            box=self._smooth("box", chosen.box, t, size), kps=self._smooth("kps", chosen.kps, t, size),
            landmarks=self._smooth("landmarks", landmarks, t, size) if landmarks is not None else None,
        )  # fmt: skip
        if "embedding" in chosen.extra and self.reference is not None:
            tracked.embedding = chosen.extra["embedding"]
            tracked.distance = self.analyzer.distance(tracked.embedding, self.reference)
        return tracked

    def _head(self, index: int) -> np.ndarray | None:
        """Where the target pose puts this frame's face, if it shows one."""
        if self.heads is None or index >= len(self.heads) or not np.isfinite(self.heads[index]).all():
            return None
        return self.heads[index]

    def _smooth(self, key: str, value: np.ndarray, t: float, scale: float) -> np.ndarray:
        if key not in self._filters:
            self._filters[key] = OneEuro(self.params.smooth_min_cutoff, self.params.smooth_beta)
        return self._filters[key](value, t, scale)

    def redetect(self, frame: np.ndarray, face: Face) -> Face | None:
        """The face overlapping `face` in another version of the frame (e.g. after an edit)."""
        near = [
            f
            for f in search_window(self.analyzer, frame, face.box)
            if box_iou(f.box, face.box) >= self.iou_min
        ]
        return max(near, key=lambda f: box_iou(f.box, face.box)) if near else None

    def measure(self, frame: np.ndarray, tracked: TrackedFace) -> float:
        """Embed the tracked face (if not done) and return its distance to the reference."""
        if tracked.embedding is None:
            tracked.embedding = self.analyzer.embed(frame, tracked.face)
        if self.reference is None:
            raise ValueError("the tracker has no reference embedding")
        tracked.distance = self.analyzer.distance(tracked.embedding, self.reference)
        return tracked.distance
