"""ffmpeg: finding the binary, pure argv builders, and running it with clear errors.

The builders are pure (inputs -> argv list, no I/O), so every flag and filter is unit-tested
without running ffmpeg (facefusion's approach). ffmpeg-python composes the filter graph and
the argv; the process is started with that list, never a shell string.

Encoding choices: H.264 (libx264) yuv420p with BT.709 tags, because that plays everywhere;
odd sizes are padded by one pixel that repeats the edge (no black line, no resampling);
`-movflags +faststart` so the file streams; metadata of the audio source is dropped so the
output depends only on what the stage was given. Audio is AAC, resampled to a fixed rate and
trimmed or padded with silence to exactly the video's length (sample-exact).
"""

from __future__ import annotations

import functools
import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import ffmpeg as ffmpeg_python
import numpy as np

from dhcore.errors import DhError
from dhcore.media.rate import fps_text
from dhcore.stage import Progress, no_progress

ENV_FFMPEG = "DH_FFMPEG"
#: x264 preset. Measured with benchmarks/assemble.py (192 frames of 512x512, crf 18, shared
#: 2-core machine): veryfast 1.2-1.35 s and 0.57 MiB; medium 2.4-2.8 s and 0.69 MiB (at equal crf
#: the slower presets gave no smaller file here); ultrafast 0.6-1.0 s but 3.4 MiB.
#: veryfast is the speed/size knee; raise it (or lower crf) for archival masters.
DEFAULT_PRESET = "veryfast"
DEFAULT_CRF = 18
DEFAULT_AUDIO_RATE = 48000
AAC_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000)
STDERR_TAIL_LINES = 15

Codec = Literal["h264", "h265"]
ENCODERS: dict[str, str] = {"h264": "libx264", "h265": "libx265"}


class FfmpegError(DhError):
    """ffmpeg failed or is missing; the message carries the end of its stderr."""


def find_ffmpeg() -> str:
    """`$DH_FFMPEG`, else a working system `ffmpeg` on PATH, else imageio-ffmpeg's static binary.

    A system ffmpeg can be installed yet broken (a missing shared library): each candidate is
    checked once per process with `-version`, and a broken system one is skipped with a warning.
    """
    override = os.environ.get(ENV_FFMPEG)
    if override:
        found = shutil.which(override)
        if found is None:
            raise FfmpegError(f"{ENV_FFMPEG}={override!r} is not an executable ffmpeg")
        if problem := broken(found):
            raise FfmpegError(f"{ENV_FFMPEG}={override!r} does not run: {problem}")
        return found
    system = shutil.which("ffmpeg")
    if system is not None:
        if not (problem := broken(system)):
            return system
        _warn_once(f"the system ffmpeg {system} does not run ({problem}); using imageio-ffmpeg's binary")
    try:
        import imageio_ffmpeg
    except ImportError as exc:  # pragma: no cover - a dependency of dh
        raise FfmpegError("no working ffmpeg on PATH and imageio-ffmpeg is not installed") from exc
    bundled = imageio_ffmpeg.get_ffmpeg_exe()
    if problem := broken(bundled):
        raise FfmpegError(f"imageio-ffmpeg's {bundled} does not run: {problem}")
    return bundled


@functools.cache
def broken(ffmpeg: str) -> str | None:
    """Why `ffmpeg -version` fails (the end of its stderr), or None when the binary runs."""
    try:
        done = subprocess.run(  # noqa: S603 - argv list, no shell
            [ffmpeg, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode != 0:
        return f"exit {done.returncode}: {_tail(done.stderr, 3)}"
    return None


@functools.cache
def _warn_once(message: str) -> None:
    logging.getLogger(__name__).warning(message)


@functools.cache
def encoders(ffmpeg: str) -> frozenset[str]:
    """Names of the encoders this ffmpeg binary was built with."""
    done = run_ffmpeg([ffmpeg, "-hide_banner", "-encoders"], capture_stdout=True)
    names = set()
    for line in done.splitlines():
        parts = line.split()
        if len(parts) >= 2 and len(parts[0]) == 6 and parts[0][0] in "VAS":
            names.add(parts[1])
    return frozenset(names)


def require_encoder(ffmpeg: str, codec: Codec) -> None:
    if ENCODERS[codec] not in encoders(ffmpeg):
        raise FfmpegError(f"{ffmpeg} has no {ENCODERS[codec]} encoder, needed for codec {codec!r}")


@dataclass(frozen=True)
class VideoInput:
    """RGB frames of width x height at fps: piped to stdin (path None) or a file ffmpeg reads."""

    width: int
    height: int
    fps: Fraction
    path: Path | None = None


@dataclass(frozen=True)
class AudioInput:
    """The first audio track of `path` (an audio file or a video), or a silent track (path None)."""

    path: Path | None = None
    rate: int = DEFAULT_AUDIO_RATE
    channels: int = 2  # of the silent track; a file keeps its own layout


@dataclass(frozen=True)
class EncodeOptions:
    codec: Codec = "h264"
    crf: int = DEFAULT_CRF
    preset: str = DEFAULT_PRESET
    fps: Fraction | None = None  # None: keep the input rate
    audio_bitrate: str = "192k"


def output_frames(frames: int, fps: Fraction, out_fps: Fraction | None) -> int:
    """Frames after ffmpeg's `fps` filter: the input length in output frames, halves rounded up.

    That is what the filter's defaults (round=near, eof_action=round) gave for every case tried
    with ffmpeg 9.0; the audio is cut to this length, and the integration tests check it
    against the binary in use.
    """
    if out_fps is None or out_fps == fps:
        return frames
    return math.floor(Fraction(frames) * out_fps / fps + Fraction(1, 2))


def audio_samples(frames: int, fps: Fraction, rate: int) -> int:
    """Audio samples covering exactly `frames` video frames at `fps` (to the nearest sample)."""
    return round(Fraction(frames) / fps * rate)


def _video_stream(video: VideoInput, options: EncodeOptions):  # -> ffmpeg_python stream
    if video.path is None:
        source = ffmpeg_python.input(
            "pipe:0", f="rawvideo", pix_fmt="rgb24", s=f"{video.width}x{video.height}",
            framerate=fps_text(video.fps),
        )  # fmt: skip
    else:
        source = ffmpeg_python.input(str(video.path))
    stream = source.video
    if options.fps is not None and options.fps != video.fps:
        stream = stream.filter("fps", fps=fps_text(options.fps))
    pad_w, pad_h = video.width % 2, video.height % 2
    if pad_w or pad_h:
        stream = stream.filter("pad", video.width + pad_w, video.height + pad_h, 0, 0)
        stream = stream.filter("fillborders", right=pad_w, bottom=pad_h, mode="smear")
    stream = stream.filter("scale", out_color_matrix="bt709", out_range="tv")
    return stream.filter("format", "yuv420p")


def _audio_stream(audio: AudioInput, samples: int):  # -> ffmpeg_python stream
    if audio.path is None:
        layout = {1: "mono", 2: "stereo"}.get(audio.channels, f"{audio.channels}c")
        stream = ffmpeg_python.input(f"anullsrc=r={audio.rate}:cl={layout}", f="lavfi").audio
    else:
        stream = ffmpeg_python.input(str(audio.path))["a:0"]
        # start at zero: tracks in mp4s often start a few ms late (encoder delay, edit lists)
        stream = stream.filter("asetpts", "PTS-STARTPTS").filter("aresample", audio.rate)
    return stream.filter("apad", whole_len=samples).filter("atrim", end_sample=samples)


def encode_argv(
    ffmpeg: str, video: VideoInput, frames: int, output: Path, options: EncodeOptions = EncodeOptions(),
    audio: AudioInput | None = None,
) -> list[str]:  # fmt: skip
    """ffmpeg argv: RGB frames (+ audio trimmed/padded to the video's length) -> an mp4 file.

    `frames` is the number of input frames; it fixes the audio length, so the output's audio and
    video end together even when the audio source is longer or shorter.
    """
    out_fps = options.fps or video.fps
    out_frames = output_frames(frames, video.fps, options.fps)
    if out_frames < 1:
        raise ValueError(
            f"{frames} frames at {fps_text(video.fps)} fps are too short for {fps_text(out_fps)} fps"
        )
    streams = [_video_stream(video, options)]
    if audio is not None:
        streams.append(_audio_stream(audio, audio_samples(out_frames, out_fps, audio.rate)))
    kwargs: dict[str, object] = {
        "c:v": ENCODERS[options.codec], "crf": options.crf, "preset": options.preset,
        "pix_fmt": "yuv420p", "colorspace": "bt709", "color_primaries": "bt709", "color_trc": "bt709",
        "color_range": "tv", "movflags": "+faststart", "map_metadata": -1, "map_chapters": -1, "f": "mp4",
    }  # fmt: skip
    if options.codec == "h265":
        kwargs.update({"tag:v": "hvc1", "x265-params": "log-level=error"})
    if audio is not None:
        kwargs.update({"c:a": "aac", "b:a": options.audio_bitrate})
    compiled = ffmpeg_python.output(*streams, str(output), **kwargs).compile(cmd=ffmpeg)
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", *compiled[1:]]


def _tail(stderr: str, lines: int = STDERR_TAIL_LINES) -> str:
    kept = [line for line in stderr.strip().splitlines() if line.strip()][-lines:]
    return "\n".join(kept) or "(no output on stderr)"


def _dying_with_parent(argv: list[str]) -> list[str]:
    """argv run through util-linux's `setpriv --pdeathsig KILL`: the child gets SIGKILL when its
    parent dies. A killed `dh run` (kill -9, OOM) would otherwise leave ffmpeg running, holding files
    in a scratch folder. Both callers wait for ffmpeg in the thread that started it, so the signal
    (sent when that thread exits) only comes when the parent process is gone.

    Not a Popen preexec_fn calling prctl: with one, the forked child runs Python before exec and
    frees the other threads' thread-locals there; a PyAV video reformatter among them deadlocked the
    child in pthread_cond_destroy, and Popen waited on it for ever (a CI run hung in
    tests/flows/test_photo_shoot.py). Without setpriv (not Linux), ffmpeg runs as it is."""
    setpriv = shutil.which("setpriv") if sys.platform == "linux" else None
    return [setpriv, "--pdeathsig", "KILL", "--", *argv] if setpriv else argv


def run_ffmpeg(argv: list[str], capture_stdout: bool = False) -> str:
    """Run ffmpeg to completion; returns stdout when asked; FfmpegError with stderr's tail on failure."""
    try:
        done = subprocess.run(  # noqa: S603 - argv list, no shell
            _dying_with_parent(argv), capture_output=True, text=True, check=False
        )
    except OSError as exc:
        raise FfmpegError(f"cannot start {argv[0]}: {exc}") from exc
    if done.returncode != 0:
        raise FfmpegError(f"ffmpeg failed (exit {done.returncode}):\n{_tail(done.stderr)}")
    return done.stdout if capture_stdout else ""


def pipe_frames(
    argv: list[str], chunks: Iterable[np.ndarray], total: int | None = None, progress: Progress = no_progress
) -> int:
    """Run ffmpeg with `chunks` ([n, H, W, 3] uint8 RGB) written to its stdin; returns frames written.

    stderr goes to a temporary file, not a pipe, so a chatty ffmpeg can never block on a full
    pipe while we block writing frames.
    """
    written = 0
    with tempfile.TemporaryFile(mode="w+b") as err:
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv list, no shell
                _dying_with_parent(argv), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err
            )
        except OSError as exc:
            raise FfmpegError(f"cannot start {argv[0]}: {exc}") from exc
        assert proc.stdin is not None
        broken = False
        try:
            for chunk in chunks:
                try:
                    proc.stdin.write(np.ascontiguousarray(chunk, dtype=np.uint8).data)
                except BrokenPipeError:
                    broken = True
                    break
                written += len(chunk)
                progress(written, total)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                broken = True
        code = proc.wait()
        if code != 0 or broken:
            err.seek(0)
            stderr = err.read().decode(errors="replace")
            raise FfmpegError(f"ffmpeg failed (exit {code}) after {written} frames:\n{_tail(stderr)}")
    return written
