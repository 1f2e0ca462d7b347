"""Following one person through a driving video that shows several.

BlazePose finds one person per frame, whichever its detector likes best, so in a street scene
the driving pose jumps from one pedestrian to another. Here the people of the first frames are
found with OpenCV's HOG pedestrian detector (no weights to fetch), the largest, most central one
is chosen, and each frame the pose detector sees only a square window around where that person
was; a pose is accepted only when it lies where the tracked person can be (position and size
continuity), otherwise the frame is marked missing: a lost person is never replaced by another.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: HOG sees at most this many pixels on the longest side (its cost grows with the area)
HOG_SIDE = 640
#: HOG detections below this SVM score are ignored (vtest.avi's pedestrians score 0.2-2)
MIN_HOG_SCORE = 0.3
#: the pose detector's window side, in tracked body heights, and its input size in pixels
WINDOW, WINDOW_PX = 2.0, 256
#: a pose belongs to the tracked person when its centre is within this many body heights of the
#: track and its height within this ratio of the track's
MAX_MOVE, MAX_SIZE_RATIO = 0.6, 2.0
MIN_JOINTS, VISIBLE = 3, 0.3


@dataclass(frozen=True)
class Box:
    """A person in pixels: centre and body height (nose to ankles, roughly)."""

    cx: float
    cy: float
    size: float

    def prominence(self, width: int, height: int) -> float:
        """Height, weighted down to half at the frame's edges: the largest, most central person."""
        off = max(abs(self.cx / width - 0.5), abs(self.cy / height - 0.5))
        return self.size * (1.0 - off)


def find_people(rgb: np.ndarray) -> list[Box]:
    """People standing in the frame (HOG + linear SVM, OpenCV's default pedestrian model)."""
    h, w = rgb.shape[:2]
    scale = min(1.0, HOG_SIDE / max(h, w))
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else rgb
    hog = cv2.HOGDescriptor()
    win_w, win_h = hog.winSize
    if small.shape[0] < win_h or small.shape[1] < win_w:
        return []  # nobody HOG could see fits, and OpenCV 4.11 crashes (SIGSEGV) on a frame this small
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    rects, scores = hog.detectMultiScale(small, winStride=(8, 8), padding=(8, 8), scale=1.05)
    boxes = [
        # HOG's window has about a tenth of the person's height as margin above and below
        Box((x + bw / 2) / scale, (y + bh / 2) / scale, 0.8 * bh / scale)
        for (x, y, bw, bh), s in zip(np.reshape(rects, (-1, 4)), np.ravel(scores), strict=True)
        if s >= MIN_HOG_SCORE
    ]
    # HOG also fires on part of a person (the legs) inside the whole: keep the larger box
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: -b.size):
        if not any(abs(box.cx - k.cx) < 0.25 * k.size and abs(box.cy - k.cy) < 0.5 * k.size for k in kept):
            kept.append(box)
    return kept


def choose(boxes: list[Box], width: int, height: int) -> Box:
    return max(boxes, key=lambda b: b.prominence(width, height))


def window(rgb: np.ndarray, box: Box) -> tuple[np.ndarray, float, float, float]:
    """The square window around the box, resized to WINDOW_PX; and its (x0, y0, side) in pixels."""
    side = max(32.0, WINDOW * box.size)
    x0, y0 = box.cx - side / 2, box.cy - side / 2
    k = WINDOW_PX / side
    m = np.float32([[k, 0, -x0 * k], [0, k, -y0 * k]])
    crop = cv2.warpAffine(
        rgb, m, (WINDOW_PX, WINDOW_PX), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return crop, x0, y0, side


def body_box(body: np.ndarray, width: int, height: int) -> Box | None:
    """The box of a detected body [18, 3] (normalized frame coords), or None when too little is seen."""
    seen = (body[:, 2] >= VISIBLE) & np.isfinite(body[:, 0])
    if seen.sum() < MIN_JOINTS:
        return None
    xy = body[seen, :2] * (width, height)
    lo, hi = xy.min(0), xy.max(0)
    return Box(float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2), float(max(hi[1] - lo[1], 1.0)))


def same_person(track: Box, found: Box, complete: bool) -> bool:
    """Whether a pose found in the window is the tracked person (a partial body may look smaller)."""
    move = np.hypot(found.cx - track.cx, found.cy - track.cy)
    ratio = found.size / track.size
    small_ok = 1 / MAX_SIZE_RATIO if complete else 0.2
    return bool(move <= MAX_MOVE * track.size and small_ok <= ratio <= MAX_SIZE_RATIO)


class Tracker:
    """The tracked person's box, updated frame by frame from the poses accepted as theirs."""

    def __init__(self, start: Box) -> None:
        self.box = start
        self.lost = 0
        #: the last window's side over the frame width: the detector's depth (in window widths) times
        #: this is in frame widths
        self.depth_scale = 1.0

    def detect(self, detector, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """Pose of the tracked person in this frame (all missing when lost), and whether found."""
        h, w = rgb.shape[:2]
        crop, x0, y0, side = window(rgb, self.box)
        self.depth_scale = side / w
        parts = [a.copy() for a in detector.detect(crop)]
        for a in parts:
            a[..., 0] = (x0 + a[..., 0] * side) / w
            a[..., 1] = (y0 + a[..., 1] * side) / h
        body = parts[0]
        found = body_box(body, w, h)
        complete = int(((body[:, 2] >= VISIBLE) & np.isfinite(body[:, 0])).sum()) >= 10
        if found is None or not same_person(self.box, found, complete):
            self.lost += 1
            for a in parts:
                a[..., :2] = np.nan
                a[..., 2] = 0.0
            return parts[0], parts[1], parts[2], False
        # a partial body (legs hidden) has another centre height: only a whole one moves the box's y and size
        cy = 0.7 * found.cy + 0.3 * self.box.cy if complete else self.box.cy
        size = 0.7 * found.size + 0.3 * self.box.size if complete else self.box.size
        self.box = Box(0.7 * found.cx + 0.3 * self.box.cx, cy, size)
        self.lost = 0
        return parts[0], parts[1], parts[2], True
