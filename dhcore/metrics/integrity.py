"""body_integrity: does every output frame show one whole person, not a torn or shrunken one?

MediaPipe Pose with segmentation (bundled model, video mode) finds the person in each frame and
gives their mask (probability >= 1/2). Its mask follows the body it recognised; the selfie model's
does not: it paints one smooth blob over a body torn into patches. A frame is whole when
- a person is recognised at all (a body torn apart is not), and the mask is one piece: exactly
  one connected part holds at least PIECE of the mask's area (strips of clothing flying off, a
  body cut in two, a ghost of the original legs beside the new ones are parts of their own), and
- its area is plausible: at least MIN_AREA of the frame and within AREA_RANGE of the median area
  over the frames where a person was found (a person does not halve or double in a few frames).
body_integrity = the share of whole frames.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

PIECE = 0.03
MIN_AREA = 0.01
AREA_RANGE = (0.5, 2.0)


def pieces(mask: np.ndarray) -> int:
    """Connected parts of a bool mask holding at least PIECE of its area."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:n, cv2.CC_STAT_AREA]
    return int((areas >= PIECE * max(1, areas.sum())).sum())


def whole_frames(masks_pieces: list[int], areas: list[float]) -> list[bool]:
    """Per frame: one piece and a plausible area (areas as shares of the frame)."""
    found = [a for a in areas if a > 0]
    median = float(np.median(found)) if found else 0.0
    lo, hi = AREA_RANGE
    return [
        p == 1 and a >= MIN_AREA and lo * median <= a <= hi * median
        for p, a in zip(masks_pieces, areas, strict=True)
    ]


class SegmentingDetector:
    """The re-detection's MediaPipe body detector, also judging each frame's person mask on the way,
    so PCK and integrity share one pass over the frames."""

    name = "mediapipe"

    def __init__(self) -> None:
        from dhcore.pose.extract_mediapipe import MediaPipeDetector

        self._inner = MediaPipeDetector(video=True, parts="body", segment=True)
        self.pieces: list[int] = []
        self.areas: list[float] = []

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found = self._inner.detect(rgb)
        prob = self._inner.mask
        mask = prob >= 0.5 if prob is not None else np.zeros(rgb.shape[:2], bool)
        self.pieces.append(pieces(mask))  # no person recognised: an empty mask, 0 pieces
        self.areas.append(float(mask.mean()))
        return found

    def close(self) -> None:
        self._inner.close()

    def whole(self) -> list[bool]:
        return whole_frames(self.pieces, self.areas)


def per_frame(frames: Path) -> list[bool]:
    """Whether each frame of a video (or frames file) shows one whole person."""
    from dhcore.pose import extract

    detector = SegmentingDetector()
    extract.detect_video(frames, extract.Params(parts="body"), detector=detector)
    return detector.whole()
