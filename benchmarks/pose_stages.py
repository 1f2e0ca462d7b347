"""Speed of the pose stages on this machine; prints one line per figure.

    .venv/bin/python benchmarks/pose_stages.py [--seconds 8] [--long-seconds 60]

- pose.extract (MediaPipe, video mode) on the 512x512 demo dance video drawn as a cartoon
  person: frames/s for parts=all (holistic: body + hands + face) and parts=body (pose only);
  target >= 25 frames/s.
- pose.align (musepose, unianimate) and pose.smooth on a 60 s (1440-frame) dance: target < 0.5 s.
- pose.render to a frames file at 512x512: target >= 100 frames/s.
- evaluate.pose_pck (re-detection + scoring) frames/s.
Wall time and process CPU time are both printed: the machine is shared, so wall time is noisy.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def _timed(label: str, frames: int, fn, target: str = "") -> float:  # noqa: ANN001
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rate = f"{frames / wall:7.1f} frames/s" if frames else ""
    print(f"{label:<46} {wall:7.3f} s wall  {cpu:7.3f} s cpu  {rate}  {target}", flush=True)
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0, help="length of the extraction/render clip")
    ap.add_argument("--long-seconds", type=float, default=60.0, help="length of the align/smooth sequence")
    args = ap.parse_args()

    from dhcore.demo.dance import make_dance, render_dance_video
    from dhcore.metrics import pck
    from dhcore.pose import align, extract, render, smooth
    from dhcore.pose.keypoints import PoseSequence

    print(f"cores: {os.cpu_count()}  load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clip = make_dance(seconds=args.seconds)
        n = len(clip)
        video = work / "dance.mp4"
        _timed(f"demo: draw + encode {n} frames (H.264)", n, lambda: render_dance_video(clip, video))
        for parts in ("all", "body"):
            _timed(
                f"pose.extract mediapipe parts={parts} ({n} frames)", n,
                lambda parts=parts: extract.STAGE.call(work / f"p_{parts}", extract.Params(parts=parts), source=video),
                "target >= 25 frames/s",
            )  # fmt: skip

        long = make_dance(seconds=args.long_seconds)
        ref = PoseSequence.load(work / "p_all" / "pose.npz").slice(0, 1)  # a full-body reference frame
        ref.save(work / "ref.npz")
        m = len(long)
        for method in ("musepose", "unianimate"):
            _timed(
                f"pose.align {method} ({m} frames)", 0,
                lambda method=method: align.align(ref, long, align.Params(width=512, height=512, method=method)),
                "target < 0.5 s",
            )  # fmt: skip
        _timed(
            f"pose.smooth one-euro ({m} frames)",
            0,
            lambda: smooth.smooth(long, smooth.Params()),
            "target < 0.5 s",
        )
        long.save(work / "long.npz")
        _timed(
            f"pose.align stage run, files ({m} frames)", 0,
            lambda: align.STAGE.call(work / "t", align.Params(width=512, height=512), reference=work / "ref.npz", driving=work / "long.npz"),
        )  # fmt: skip

        clip.save(work / "clip.npz")
        _timed(
            f"pose.render 512x512 to frames file ({n} frames)", n,
            lambda: render.STAGE.call(work / "skel", pose=work / "clip.npz"), "target >= 100 frames/s",
        )  # fmt: skip
        _timed(
            f"render_frame only, 512x512 ({n} frames)",
            n,
            lambda: [render.render_frame(clip, i) for i in range(n)],
        )
        _timed(
            f"evaluate.pose_pck on the video ({n} frames)",
            n,
            lambda: pck.STAGE.call(work / "d", frames=video, target=work / "clip.npz"),
        )


if __name__ == "__main__":
    main()
