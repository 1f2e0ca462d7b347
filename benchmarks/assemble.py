"""Benchmark of stage `assemble`: 8 s and 60 s of 512x512 at 24 fps with a soundtrack.

Prints, per length: the stage's wall time (best of 3; all runs shown); the frames-file read alone (iter_frames); ffmpeg's
encode alone (ffmpeg reading the frames file itself, same settings and audio); and the peak RSS
of the Python process running the stage and of the ffmpeg child. Each length runs in a fresh
process so the peaks are the stage's own. The 8 s input also times
`render.extras` (both videos, and the overlay alone); `--presets` adds x264 preset timings
and file sizes.

    .venv/bin/python benchmarks/assemble.py [--presets]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

SIZE = 512
FPS = Fraction(24)
LENGTHS = (192, 1440)  # 8 s and 60 s
REPEATS = 3  # timings are the best of 3: the machine is shared
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium")


def _make_inputs(folder: Path, frames: int) -> tuple[Path, Path]:
    """A frames file of a photo drifting and zooming (real texture for x264), and the demo beat."""
    import cv2
    import skimage.data

    from dhcore.demo.beat import write_beat
    from dhcore.media.frames import FrameWriter

    photo = cv2.resize(skimage.data.astronaut(), (SIZE + 64, SIZE + 64), interpolation=cv2.INTER_AREA)
    path = folder / f"frames_{frames}.nut"
    with FrameWriter(path, FPS, SIZE, SIZE) as writer:
        for start in range(0, frames, 16):
            chunk = []
            for i in range(start, min(frames, start + 16)):
                dx, dy = 32 + 24 * np.sin(i / 11), 32 + 16 * np.cos(i / 17)
                m = np.float32([[1, 0, -dx], [0, 1, -dy]])
                chunk.append(cv2.warpAffine(photo, m, (SIZE, SIZE), flags=cv2.INTER_LINEAR))
            writer.write(np.stack(chunk))
    beat = write_beat(folder / f"beat_{frames}.wav", seconds=frames / float(FPS))
    return path, beat


def _hwm_mib(pid: int | str = "self") -> float:
    """Peak RSS (VmHWM) of one process. Not getrusage: Linux carries ru_maxrss across fork+exec,
    so a child would report its parent's size."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class ChildPeak(threading.Thread):
    """Samples the VmHWM of this process's children (ffmpeg) every 20 ms; keeps the largest."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.02):
            for children in Path("/proc/self/task").glob("*/children"):
                for pid in children.read_text().split():
                    self.peak = max(self.peak, _hwm_mib(pid))

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def _measure(frames_path: Path, beat: Path, out_dir: Path) -> dict[str, float]:
    """Run in a fresh process: stage first (for clean peaks), then read-only and encode-only."""
    from dhcore.media.assemble import Params
    from dhcore.media.assemble import run as assemble
    from dhcore.media.ffmpeg import AudioInput, VideoInput, encode_argv, find_ffmpeg, run_ffmpeg
    from dhcore.media.frames import iter_frames, probe

    rss_before = _hwm_mib()
    sampler = ChildPeak()
    sampler.start()
    stage_s = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = assemble(frames_path, out_dir / "stage.mp4", Params(audio="file"), audio=beat)
        stage_s.append(time.perf_counter() - started)
    rss_stage = _hwm_mib()
    rss_ffmpeg = sampler.stop()

    read_s = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        count = sum(len(chunk) for chunk in iter_frames(frames_path))
        read_s.append(time.perf_counter() - started)

    info = probe(frames_path)
    argv = encode_argv(
        find_ffmpeg(), VideoInput(SIZE, SIZE, FPS, frames_path), info.frames, out_dir / "direct.mp4",
        Params().options(), AudioInput(beat, rate=44100),
    )  # fmt: skip
    encode_s = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        run_ffmpeg(argv)
        encode_s.append(time.perf_counter() - started)
    meta = result.outputs["video"].meta
    return {
        "frames": count, "stage_s": min(stage_s), "stage_s_all": stage_s, "read_s": min(read_s),
        "encode_only_s": min(encode_s),
        "rss_python_before_mib": rss_before, "rss_python_peak_mib": rss_stage, "rss_ffmpeg_peak_mib": rss_ffmpeg,
        "out_frames": meta["frames"], "out_has_audio": meta["has_audio"],
        "out_mib": (out_dir / "stage.mp4").stat().st_size / 2**20,
    }  # fmt: skip


def _extras(frames_path: Path, beat: Path, folder: Path) -> dict[str, float]:
    """render.extras on the same frames, with a skeleton of moving limbs; best of REPEATS."""
    import cv2
    import skimage.data

    from dhcore.media.extras import Params
    from dhcore.media.extras import run as render_extras
    from dhcore.media.frames import FrameWriter, probe

    frames = probe(frames_path).frames
    skeleton = folder / "skeleton.nut"
    with FrameWriter(skeleton, FPS, SIZE, SIZE) as writer:
        for start in range(0, frames, 16):
            chunk = np.zeros((min(16, frames - start), SIZE, SIZE, 3), np.uint8)
            for j, frame in enumerate(chunk):
                sway = int(40 * np.sin((start + j) / 8))
                for a, b, colour in [((256, 120), (256 + sway, 300), (255, 0, 85)),
                                     ((256, 160), (150 - sway, 260), (0, 255, 85)),
                                     ((256, 160), (360 + sway, 260), (85, 0, 255))]:  # fmt: skip
                    cv2.line(frame, a, b, colour, 8, cv2.LINE_AA)
            writer.write(chunk)
    reference = folder / "reference.png"
    cv2.imwrite(str(reference), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    times: dict[str, list[float]] = {"both": [], "overlay": []}
    for _ in range(REPEATS):
        for name, params in (
            ("both", Params(audio="file")),
            ("overlay", Params(audio="file", side_by_side=False)),
        ):
            started = time.perf_counter()
            render_extras(reference, skeleton, frames_path, folder / "extras", params, audio=beat)
            times[name].append(time.perf_counter() - started)
    return {name: min(values) for name, values in times.items()}


def _presets(frames_path: Path, beat: Path, out_dir: Path) -> list[tuple[str, float, float]]:
    from dhcore.media.ffmpeg import (
        AudioInput,
        EncodeOptions,
        VideoInput,
        encode_argv,
        find_ffmpeg,
        run_ffmpeg,
    )

    rows = []
    for preset in PRESETS:
        out = out_dir / f"preset_{preset}.mp4"
        argv = encode_argv(
            find_ffmpeg(), VideoInput(SIZE, SIZE, FPS, frames_path), LENGTHS[0], out,
            EncodeOptions(preset=preset), AudioInput(beat, rate=44100),
        )  # fmt: skip
        seconds = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            run_ffmpeg(argv)
            seconds.append(time.perf_counter() - started)
        rows.append((preset, min(seconds), out.stat().st_size / 2**20))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", action="store_true", help="also time x264 presets on the 8 s input")
    parser.add_argument("--measure", nargs=3, metavar=("FRAMES", "BEAT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(Path(args.measure[0]), Path(args.measure[1]), Path(args.measure[2]))))
        return

    print(f"load average (1/5/15 min): {os.getloadavg()}, cpus: {os.cpu_count()}")
    with tempfile.TemporaryDirectory(prefix="dh-bench-assemble-") as tmp:
        folder = Path(tmp)
        for frames in LENGTHS:
            frames_path, beat = _make_inputs(folder, frames)
            done = subprocess.run(  # noqa: S603 - argv list, no shell
                [sys.executable, __file__, "--measure", str(frames_path), str(beat), str(folder)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(done.stdout.strip().splitlines()[-1])
            print(
                f"{frames} frames ({frames / float(FPS):.0f} s) {SIZE}x{SIZE}@{FPS} + AAC: stage {r['stage_s']:.2f} s "
                f"(runs: {', '.join(f'{t:.2f}' for t in r['stage_s_all'])}) "
                f"({frames / r['stage_s']:.0f} fps) | frames-file read alone {r['read_s']:.2f} s | "
                f"ffmpeg encode alone {r['encode_only_s']:.2f} s | peak RSS python {r['rss_python_peak_mib']:.0f} MiB "
                f"(after imports {r['rss_python_before_mib']:.0f}), ffmpeg {r['rss_ffmpeg_peak_mib']:.0f} MiB | "
                f"output {r['out_frames']} frames, audio {r['out_has_audio']}, {r['out_mib']:.2f} MiB"
            )
            if frames == LENGTHS[0]:
                extras = _extras(frames_path, beat, folder)
                print(
                    f"  render.extras, same input: side-by-side (1536x512) + overlay {extras['both']:.2f} s, "
                    f"overlay alone {extras['overlay']:.2f} s"
                )
            if args.presets and frames == LENGTHS[0]:
                for preset, seconds, mib in _presets(frames_path, beat, folder):
                    print(f"  preset {preset:<9} encode {seconds:.2f} s  size {mib:.2f} MiB (crf 18)")
            for leftover in folder.glob("*.mp4"):
                leftover.unlink()
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
