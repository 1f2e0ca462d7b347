"""The talking head without Prefect: render frames/s at 512x512 and the lip-sync figures, on the
demo's speech (espeak-ng, or the synthesized vowel track) and on real recorded speech (LibriVox,
Debian's pocketsphinx-testdata), with Grace Hopper's portrait; identity measured on every frame.

    PYTHONPATH=. python benchmarks/talking_head.py [--stills /tmp/talk]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from dhcore.demo.face_assets import write_face_assets
from dhcore.media.frames import iter_frames
from dhcore.talk import figures, render
from tests import realdata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stills", type=Path, help="write the loudest and a silent frame per track here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dh-talk-bench-") as tmp:
        assets = write_face_assets(Path(tmp) / "assets")
        tracks = {"demo speech": assets["speech"]}
        try:
            tracks["real speech (LibriVox)"] = realdata.locate("speech")
        except realdata.Missing as exc:
            print(f"skipped real speech: {exc}")
        for name, audio in tracks.items():
            out = Path(tmp) / name.split()[0]
            start = time.perf_counter()
            result = render.STAGE.call(
                out / "render", render.Params(), portrait=assets["portrait"], audio=audio
            )
            seconds = time.perf_counter() - start
            frames = result.outputs["frames"].path
            start = time.perf_counter()
            fig = figures.STAGE.call(out / "figures", figures.Params(stride=1), portrait=assets["portrait"], audio=audio,
                                     frames=frames)  # fmt: skip
            measure = time.perf_counter() - start
            m = fig.metrics
            print(
                f"{name}: {result.frames} frames, render {result.frames / seconds:.1f} frames/s (incl. setup), "
                f"figures {measure:.1f} s; lipsync_peak {m['lipsync_peak']:.3f} at lag {m['lipsync_lag']:+.0f} "
                f"frames, viseme_agreement {m.get('viseme_agreement', float('nan')):.3f}, silent_closed "
                f"{m.get('silent_closed', float('nan')):.3f}, face_distance max "
                f"{m['face_distance_max']:.3f} mean {m['face_distance_mean']:.3f}, jitter "
                f"{m['landmark_jitter']:.4f}, voiced {result.metrics['voiced_share']:.2f}"
            )
            if args.stills:
                _stills(frames, np.array(fig.series["mouth_opening"]), args.stills / name.split()[0])
    print(f"load average: {os.getloadavg()[0]:.2f}")


def _stills(frames: Path, mouth: np.ndarray, folder: Path) -> None:
    import cv2

    folder.mkdir(parents=True, exist_ok=True)
    wanted = {int(np.argmax(mouth)): "loudest", int(np.argmin(mouth)): "closed"}
    for i, frame in enumerate(f for chunk in iter_frames(frames) for f in chunk):
        if i in wanted:
            cv2.imwrite(str(folder / f"{wanted[i]}_{i}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
