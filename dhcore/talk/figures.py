"""talking_head.figures: does the mouth follow the sound, rest in silence, and stay the same person?

Measured on the rendered frames by the face mesh (not on the renderer's own targets):
- lipsync_peak, lipsync_lag: the peak of the normalised cross-correlation between the mouth opening
  and the audio's RMS amplitude per frame (not the renderer's gated envelope) over lags of +-MAX_LAG
  frames, and its lag in frames (positive: the mouth trails the sound); lipsync_lag_abs for the gate.
- silent_closed: the share of silent frames (no voice within COARTICULATION frames) whose mouth is
  closed: inner-lip gap at most REST_MARGIN of the mouth's width (an open-mouthed photo must close).
- viseme_agreement: over voiced frames, the correlation of the rendered mouth's width with the
  audio's vowel class (spread widens, rounded narrows; reported, not gated).
- face_distance_max / face_distance_mean: identity (dlib) against the portrait, every STRIDE-th frame.
- landmark_jitter: mean acceleration of the face's rigid points (eye corners, nose, face outline),
  in eye distances per frame squared; frames_without_face, face_found_rate (the share of frames with one).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dhcore.facemesh.identity import IdentityMeter, face_weights
from dhcore.facemesh.landmarks import FACE_OVAL, FaceMesh, eye_distance, mouth_opening, one_face
from dhcore.facemesh.one_euro import jitter
from dhcore.media.frames import iter_frames, probe
from dhcore.pose.extract import read_image
from dhcore.stage import InputValue, StageContext, StageDef, StageParams, StageResult, port
from dhcore.talk.audio import RATE, Timeline, level_db, read_audio, timeline

NAME = "talking_head.figures"
VERSION = "5"
MAX_LAG = 5
COARTICULATION = 2
REST_MARGIN = 0.05
#: points that move only with the head (eye corners, nose bridge and tip, the face outline)
RIGID = [33, 133, 362, 263, 168, 6, 1, *FACE_OVAL]


class Params(StageParams):
    stride: int = 5


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("portrait", "image"), port("audio", "audio"), port("frames", "frames")),
    outputs=(),
    impl="dhcore.talk.figures:run",
    weights=face_weights,
)


def lipsync(mouth: np.ndarray, envelope: np.ndarray, max_lag: int = MAX_LAG) -> tuple[float, int]:
    """(peak, lag): the best Pearson correlation of mouth[t + lag] with envelope[t], |lag| <= max_lag."""
    best, best_lag = -1.0, 0
    for lag in range(-max_lag, max_lag + 1):
        a = mouth[max(0, lag) : len(mouth) + min(0, lag)]
        b = envelope[max(0, -lag) : len(envelope) - max(0, lag)]
        n = min(len(a), len(b))
        if n < 3 or a[:n].std() == 0 or b[:n].std() == 0:
            continue
        r = float(np.corrcoef(a[:n], b[:n])[0, 1])
        if r > best:
            best, best_lag = r, lag
    return best, best_lag


def mouth_width(points: np.ndarray) -> float:
    """Corner-to-corner mouth width in eye distances."""
    return float(np.linalg.norm(points[291, :2] - points[61, :2]) / eye_distance(points))


def viseme_agreement(width: np.ndarray, tl: Timeline) -> float | None:
    """Correlation, over voiced frames, of the rendered mouth's width with the audio's vowel class
    (spread 'i/e' widen, rounded 'o/u' narrow): do the lips take the vowel's shape, not only open."""
    asked = tl.spread_share - (1 - tl.spread_share) * (1 - tl.open_share)
    keep = tl.voiced & np.isfinite(width)
    if keep.sum() < 10 or width[keep].std() == 0 or asked[keep].std() == 0:
        return None
    return float(np.corrcoef(width[keep], asked[keep])[0, 1])


def silent_frames(voiced: np.ndarray, margin: int = COARTICULATION) -> np.ndarray:
    near = np.convolve(voiced.astype(float), np.ones(2 * margin + 1), mode="same") > 0
    return ~near


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Measure the rendered frames against the portrait and the audio."""
    portrait_path, frames_path = Path(inputs["portrait"]), Path(inputs["frames"])
    photo = read_image(portrait_path)
    rest = mouth_opening(one_face(photo, str(portrait_path)))
    info = probe(frames_path)
    fps = float(info.fps)
    meter = IdentityMeter(photo, str(portrait_path))
    opening, width, rigid, distances, missing = [], [], [], [], 0
    scale = 1.0
    with FaceMesh(video=True, max_faces=1) as mesh:
        for i, frame in enumerate(f for chunk in iter_frames(frames_path) for f in chunk):
            found = mesh.all(frame)
            if not found:
                missing += 1
                opening.append(np.nan)
                width.append(np.nan)
                continue
            opening.append(mouth_opening(found[0]))
            width.append(mouth_width(found[0]))
            rigid.append(found[0][RIGID, :2])
            scale = eye_distance(found[0])
            if i % params.stride == 0 and (d := meter.distance(frame)) is not None:
                distances.append(d)
            ctx.progress(i + 1, info.frames)
    mouth = np.nan_to_num(np.array(opening), nan=rest)
    samples = read_audio(Path(inputs["audio"]))
    tl = timeline(samples, RATE, fps, len(mouth))
    # the plain RMS amplitude, not the renderer's gated and rescaled envelope: an independent reference
    peak, lag = lipsync(mouth, 10 ** (level_db(samples, RATE, fps, len(mouth)) / 20))
    silent = silent_frames(tl.voiced)
    metrics = {
        "lipsync_peak": peak,
        "lipsync_lag": float(lag),
        "lipsync_lag_abs": float(abs(lag)),
        "landmark_jitter": jitter(np.array(rigid), scale) if rigid else float("nan"),
        "frames_without_face": float(missing),
        "face_found_rate": 1.0 - missing / max(len(opening), 1),
    }
    if (agreement := viseme_agreement(np.array(width), tl)) is not None:
        metrics["viseme_agreement"] = agreement
    if silent.any():
        metrics["silent_closed"] = float((mouth[silent] <= REST_MARGIN).mean())
    # no frame the identity meter could read counts as a miss, not as a figure left out of the gates
    metrics["face_distance_max"] = float(max(distances)) if distances else float("inf")
    if distances:
        metrics["face_distance_mean"] = float(np.mean(distances))
    return StageResult(
        metrics=metrics, series={"mouth_opening": [float(x) for x in mouth]}, frames=len(mouth)
    )
