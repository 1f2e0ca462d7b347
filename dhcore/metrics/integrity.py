"""body_integrity: does every output frame show one whole person, not a torn or shrunken one?

It reads the output frames alone, so it holds for any animator. MediaPipe Pose with segmentation
(video mode) recognises the person and gives the mask of the body it recognised (probability >= 1/2).
That mask follows the body and leaves out what flew off it, so each frame is also looked at, at SIDE
pixels along its longer side, for what lies beside the body: outside the known region (the mask
grown by GROW of its size, plus body_reach.reach around the skeleton Pose found in the same frame)
and within NEAR body sizes of it. There, a fragment is
- a piece that changed relative to the background and floats apart from the body (a limb or a strip
  of clothing pasted away from it), or
- person matter by MediaPipe's selfie segmentation (skin, hair, clothing), attached or not, that
  changed relative to the background (scenery the selfie model takes for a person, a helmet on a
  table or a dark door frame, never changes), unless it runs out of the frame beside the known
  region, across an edge the skeleton itself crosses (a joint lies past it): that is the body going
  on past the frame, where the skeleton cannot see it (a bust's sleeves: walker_half_body's elbows
  and hips lie below the frame, and where the animator stretched her coat to the target's widest
  shoulders, the re-detector kept her left shoulder 54-80 px inside it and its mask left out the
  sleeve beside it).
The background is the per-pixel median of up to BACKGROUND_FRAMES frames spread over the video,
taken only where neither person matter nor the known region is, so a fragment that keeps to one
place in a minority of the frames still differs from it. A moving background (a camera following
someone) changes everywhere and leaves nothing to compare with: then no fragment is judged (person
matter alone would count the other people who walk into such a view; measured on the real walking
clip), only the recognised mask.
A frame is whole when
- a person is recognised at all (a body torn apart is not), and their mask is one piece: exactly
  one connected part holds at least PIECE of the mask's area (a body cut in two, a ghost of the
  original legs beside the new ones are parts of their own), and
- its area is plausible: at least MIN_AREA of the frame and within AREA_RANGE of the median area
  over the frames where a person was found (a person does not halve or double in a few frames), and
- no fragment of at least FRAGMENT of the mask's area lies beside it.
body_integrity = the share of whole frames.
Not caught: pieces torn but still joined to the silhouette or drawn over it (a forearm and a held
ball shredded into shards that hang from the arm or lie over the legs, a shred drawn over the
torso): both segmenters paint them as the body and the skeleton follows them (measured on the
dance_real benchmark's walker_arms_front, where most frames show such shreds), and a piece still
joined to the body that runs out of the frame beside it where the skeleton does.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np

from dhcore.media.frames import iter_frames
from dhcore.metrics.body_reach import reach, size_in

PIECE = 0.03
MIN_AREA = 0.01
AREA_RANGE = (0.5, 2.0)
FRAGMENT = 0.03
GROW = 0.03
NEAR = 1.0
#: pixels (at SIDE) along the frame's edge between the known region and person matter going on past it
SEAM = 2
SIDE = 256
#: a pixel changed when a colour channel differs from the background by more than this (0-255)
CHANGE = 30
BACKGROUND_FRAMES = 48
#: the background moves when the sampled frames changed on average more than this share of their free
#: pixels (measured: static animator outputs 0.000-0.018, a camera following a walker 0.13)
MOVING = 0.05
_UNKNOWN = 1000  # above any uint8 value: sorts after the free samples


def pieces(mask: np.ndarray) -> int:
    """Connected parts of a bool mask holding at least PIECE of its area."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[1:n, cv2.CC_STAT_AREA]
    return int((areas >= PIECE * max(1, areas.sum())).sum())


def whole_frames(
    masks_pieces: list[int], areas: list[float], fragments: list[bool] | None = None
) -> list[bool]:
    """Per frame: one piece, a plausible area (areas as shares of the frame) and no fragment beside it."""
    found = [a for a in areas if a > 0]
    median = float(np.median(found)) if found else 0.0
    lo, hi = AREA_RANGE
    fragments = fragments or [False] * len(areas)
    return [
        p == 1 and a >= MIN_AREA and lo * median <= a <= hi * median and not f
        for p, a, f in zip(masks_pieces, areas, fragments, strict=True)
    ]


def _disc(radius: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def known_region(body: np.ndarray, region: np.ndarray) -> np.ndarray:
    """The recognised body grown by GROW of its size, with the body's reach."""
    grown = cv2.dilate(body.astype(np.uint8), _disc(max(1, round(GROW * np.sqrt(body.sum()))))) > 0
    return grown | region


def fragments(
    candidates: np.ndarray, matter: np.ndarray, known: np.ndarray, size: float, crossed: int = 0
) -> np.ndarray:
    """bool [h, w]: what lies beside the body (outside the known region, within NEAR body sizes) and
    changed: pieces of it that float apart from the body, and person matter, attached or not (a
    shoe the masks missed is within reach), but for the body going on past the `crossed` edges."""
    if not known.any():
        return np.zeros_like(known)
    distance = cv2.distanceTransform((~known).astype(np.uint8), cv2.DIST_L2, 3)
    near = candidates & ~known & (distance <= NEAR * max(size, 1.0))
    near = cv2.morphologyEx(near.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels = cv2.connectedComponents(near, connectivity=8)
    rim = cv2.dilate(known.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    loose = (labels > 0) & ~np.isin(labels, np.unique(labels[rim & (near > 0)]))
    person = cv2.morphologyEx(
        (matter & (near > 0)).astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)
    )
    return loose | ((person > 0) & ~leaving_frame(person, known, crossed))


#: the frame's edges as bit flags, for `crossed_edges` and `leaving_frame`
TOP, BOTTOM, LEFT, RIGHT = 1, 2, 4, 8


def crossed_edges(body: np.ndarray) -> int:
    """The edges (bit flags) past which a joint of a body [18, 3] (normalized, any confidence) lies:
    where its skeleton says the body goes on out of the frame (a bust's elbows and hips below it)."""
    placed = np.isfinite(body[:, 0]) & np.isfinite(body[:, 1])
    x, y = body[placed, 0], body[placed, 1]
    flags = ((y < 0).any(), (y > 1).any(), (x < 0).any(), (x > 1).any())
    return sum(flag for flag, out in zip((TOP, BOTTOM, LEFT, RIGHT), flags, strict=True) if out)


def leaving_frame(matter: np.ndarray, known: np.ndarray, crossed: int) -> np.ndarray:
    """bool [h, w]: the connected parts of `matter` (uint8 [h, w]) that reach a `crossed` edge of the
    frame within SEAM pixels of where the known region reaches it: the body going on past the edge
    beside its known part."""
    edge = np.zeros(known.shape, bool)
    edge[0, :] |= bool(crossed & TOP)
    edge[-1, :] |= bool(crossed & BOTTOM)
    edge[:, 0] |= bool(crossed & LEFT)
    edge[:, -1] |= bool(crossed & RIGHT)
    seam = SEAM * 2 + 1
    beside = edge & (cv2.dilate((known & edge).astype(np.uint8), np.ones((seam, seam), np.uint8)) > 0)
    _, labels = cv2.connectedComponents(matter, connectivity=8)
    out = np.unique(labels[beside])
    return np.isin(labels, out[out > 0])


def _pack(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(mask).tobytes(), 1)


def _unpack(data: bytes, shape: tuple[int, int]) -> np.ndarray:
    bits = np.unpackbits(np.frombuffer(zlib.decompress(data), np.uint8), count=shape[0] * shape[1])
    return bits.reshape(shape) > 0


def largest_share(mask: np.ndarray, area: float) -> float:
    """The largest connected part of a bool mask, as a share of `area`."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return float(stats[1:n, cv2.CC_STAT_AREA].max() / max(1.0, area)) if n > 1 else 0.0


class Background:
    """The median of an evenly spread, bounded sample of frames, where no person is."""

    def __init__(self) -> None:
        self._frames: list[np.ndarray] = []
        self._people: list[np.ndarray] = []
        self._stride, self._seen = 1, 0

    def add(self, small: np.ndarray, person: np.ndarray) -> None:
        if self._seen % self._stride == 0:
            self._frames.append(small)
            self._people.append(cv2.dilate(person.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
            if len(self._frames) > BACKGROUND_FRAMES:
                self._frames, self._people = self._frames[::2], self._people[::2]
                self._stride *= 2
        self._seen += 1

    def estimate(self) -> np.ndarray | None:
        """uint8 [h, w, 3], or None when the background moves (a panning camera: then nothing stays
        put to compare with). Where a person covered a pixel in every sampled frame (a still video),
        the plain median there."""
        if not self._frames:
            return None
        frames = np.stack(self._frames)
        people = np.stack(self._people)
        stack = np.where(people[..., None], _UNKNOWN, frames.astype(np.uint16))
        stack.sort(axis=0)
        free = (~people).sum(axis=0)
        middle = (np.maximum(free - 1, 0) // 2)[None, :, :, None].repeat(3, axis=3)
        median = np.take_along_axis(stack, middle, axis=0)[0]
        covered = free == 0
        median[covered] = np.median(frames[:, covered], axis=0)
        median = median.astype(np.uint8)
        moved = [changed(f, median)[~p].mean() for f, p in zip(frames, people, strict=True) if (~p).any()]
        return None if moved and float(np.mean(moved)) > MOVING else median


def changed(small: np.ndarray, background: np.ndarray) -> np.ndarray:
    """bool [h, w]: pixels that differ from the background."""
    diff = cv2.absdiff(cv2.GaussianBlur(small, (3, 3), 0), background)
    # the channels' maximum; numpy's max(axis=2) takes 9 times as long
    return cv2.max(cv2.max(diff[..., 0], diff[..., 1]), diff[..., 2]) > CHANGE


def small_size(shape: tuple[int, ...]) -> tuple[int, int]:
    h, w = shape[:2]
    scale = min(1.0, SIDE / max(h, w))
    return max(1, round(w * scale)), max(1, round(h * scale))


class SegmentingDetector:
    """The re-detection's MediaPipe body detector, also judging each frame's person on the way,
    so PCK and integrity share one pass over the frames (`whole` reads them once more, small)."""

    name = "mediapipe"

    def __init__(self) -> None:
        import mediapipe as mp

        from dhcore.pose.extract_mediapipe import MediaPipeDetector

        self._inner = MediaPipeDetector(video=True, parts="body", segment=True)
        self._selfie = mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0)
        self._background = Background()
        self.pieces: list[int] = []
        self.areas: list[float] = []
        self._seen: list[tuple[bytes, bytes, float, float, int]] = []

    def detect(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        found = self._inner.detect(rgb)
        prob = self._inner.mask
        mask = prob >= 0.5 if prob is not None else np.zeros(rgb.shape[:2], bool)
        self.pieces.append(pieces(mask))  # no person recognised: an empty mask, 0 pieces
        self.areas.append(float(mask.mean()))
        size = small_size(rgb.shape)
        small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        body = cv2.resize(mask.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
        matter = self._selfie.process(np.ascontiguousarray(small)).segmentation_mask >= 0.5
        region = reach(found[0], body.shape)
        known = known_region(body, region)
        size, crossed = size_in(found[0], body.shape), crossed_edges(found[0])
        self._seen.append((_pack(known), _pack(matter), size, float(body.sum()), crossed))
        self._background.add(small, matter | known)
        return found

    def close(self) -> None:
        self._inner.close()
        self._selfie.close()

    def fragment_shares(self, frames: Path) -> list[float]:
        """Per frame: the largest piece floating beside the person, as a share of the body's area;
        all 0 when the background moves (nothing to compare with)."""
        background = self._background.estimate()
        if background is None:
            return [0.0] * len(self._seen)
        shares: list[float] = []
        for chunk in iter_frames(frames):
            for rgb in chunk:
                if len(shares) == len(self._seen):
                    break
                known, matter, size, area, crossed = self._seen[len(shares)]
                small = cv2.resize(rgb, small_size(rgb.shape), interpolation=cv2.INTER_AREA)
                shape = small.shape[:2]
                found = fragments(
                    changed(small, background), _unpack(matter, shape), _unpack(known, shape), size, crossed
                )
                shares.append(largest_share(found, area))
        return shares

    def whole(self, frames: Path) -> list[bool]:
        """Per frame, whether it shows one whole person; `frames` is the video fed to `detect`."""
        fragments = [s >= FRAGMENT for s in self.fragment_shares(frames)]
        return whole_frames(self.pieces, self.areas, fragments)


def per_frame(frames: Path) -> list[bool]:
    """Whether each frame of a video (or frames file) shows one whole person."""
    from dhcore.pose import extract

    detector = SegmentingDetector()
    extract.detect_video(frames, extract.Params(parts="body"), detector=detector)
    return detector.whole(frames)
