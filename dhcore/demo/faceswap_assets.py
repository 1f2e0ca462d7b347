"""The face-swap demo's inputs: Grace Hopper as the identity and a short target video with sound.

The target video is a real photo set in motion (no stock video ships in a registry package): the
laughing man of insightface's t1.jpg (an open mouth, a turned head), cropped to a portrait, with a
slow zoom, pan and tilt over 3 s at 10 fps and the demo beat as its soundtrack.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from dhcore.demo.assets import grace_hopper, png_writer, write_once
from dhcore.demo.beat import write_beat

SIZE = 384
FPS = 10
SECONDS = 3.0
#: which t1.jpg face (left to right) plays the target: the laughing one, mouth open
TARGET_FACE = 3


def target_frames(photo: np.ndarray, frames: int, size: int = SIZE) -> np.ndarray:
    """[frames, size, size, 3]: the photo zoomed 1 -> 1.15, panned and tilted +-3 degrees."""
    h, w = photo.shape[:2]
    base = min(h, w)
    out = np.empty((frames, size, size, 3), np.uint8)
    for i in range(frames):
        t = i / max(1, frames - 1)
        zoom, angle = 1.0 + 0.15 * t, 3.0 * np.sin(2 * np.pi * t)
        centre = (w / 2 + 0.04 * base * np.sin(np.pi * t), h / 2)
        m = cv2.getRotationMatrix2D(centre, angle, zoom * size / base)
        m[:, 2] += np.array([size / 2, size / 2]) - np.array(centre)
        out[i] = cv2.warpAffine(
            photo, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101
        )
    return out


def _write_video(path: Path, beat: Path) -> None:
    from dhcore.demo.shoot_assets import face_crops, t1_photo
    from dhcore.media.encode import encode_mp4
    from dhcore.media.ffmpeg import AudioInput, EncodeOptions

    crop = face_crops(t1_photo())[TARGET_FACE]
    frames = target_frames(crop, int(SECONDS * FPS))
    encode_mp4([frames], SIZE, SIZE, Fraction(FPS), len(frames), path, EncodeOptions(), AudioInput(beat))


def write_faceswap_assets(folder: Path) -> dict[str, Path]:
    """identity.png (Grace Hopper) and target.mp4 (the moving t1.jpg portrait, with the beat)."""
    folder.mkdir(parents=True, exist_ok=True)
    beat = write_once(folder / "beat.wav", lambda p: write_beat(p, seconds=SECONDS))
    return {
        "identity": write_once(folder / "identity.png", png_writer(grace_hopper())),
        "target": write_once(folder / "target.mp4", lambda p: _write_video(p, beat)),
    }
