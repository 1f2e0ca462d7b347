"""The ffmpeg argv builders (pure, ffmpeg not run) and the runner's error reporting (real ffmpeg)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from dhcore.media.ffmpeg import (
    ENV_FFMPEG,
    AudioInput,
    EncodeOptions,
    FfmpegError,
    VideoInput,
    audio_samples,
    encode_argv,
    find_ffmpeg,
    output_frames,
    pipe_frames,
    run_ffmpeg,
)
from dhcore.media.frames import probe

FF = "/opt/ffmpeg"
OUT = Path("/out/video.mp4")


def _value(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def _graph(argv: list[str]) -> list[str]:
    """The filter_complex as a list of 'in-label filter out-label' parts."""
    return _value(argv, "-filter_complex").split(";")


def test_raw_stdin_input_and_h264_output_flags() -> None:
    argv = encode_argv(FF, VideoInput(512, 512, Fraction(30000, 1001)), 300, OUT)
    assert argv == [
        FF, "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
        "-f", "rawvideo", "-framerate", "30000/1001", "-pix_fmt", "rgb24", "-s", "512x512", "-i", "pipe:0",
        "-filter_complex", "[0:v]scale=out_color_matrix=bt709:out_range=tv[s0];[s0]format=yuv420p[s1]",
        "-map", "[s1]",
        "-f", "mp4", "-c:v", "libx264", "-color_primaries", "bt709", "-color_range", "tv", "-color_trc", "bt709",
        "-colorspace", "bt709",
        "-crf", "18", "-map_chapters", "-1", "-map_metadata", "-1", "-movflags", "+faststart",
        "-pix_fmt", "yuv420p", "-preset", "veryfast", str(OUT),
    ]  # fmt: skip
    assert all(isinstance(a, str) for a in argv)
    assert "-c:a" not in argv and "-an" not in argv


def test_frames_file_input_is_read_by_ffmpeg_directly() -> None:
    argv = encode_argv(FF, VideoInput(64, 48, Fraction(24), Path("/in/frames.nut")), 24, OUT)
    assert argv[6:8] == ["-i", "/in/frames.nut"]
    assert "rawvideo" not in argv and "pipe:0" not in argv


@pytest.mark.parametrize(
    ("width", "height", "pad"),
    [(512, 512, None), (513, 512, "pad=514:512:0:0"), (512, 511, "pad=512:512:0:0"), (7, 9, "pad=8:10:0:0")],
)
def test_odd_sizes_are_padded_to_even_by_repeating_the_edge(width: int, height: int, pad: str | None) -> None:
    graph = _graph(encode_argv(FF, VideoInput(width, height, Fraction(24)), 24, OUT))
    filters = [part.split("]", 1)[1].rsplit("[", 1)[0] for part in graph]
    if pad is None:
        assert not any(f.startswith(("pad", "fillborders")) for f in filters)
    else:
        assert filters[0] == pad
        assert filters[1] == f"fillborders=bottom={height % 2}:mode=smear:right={width % 2}"
    assert filters[-2:] == ["scale=out_color_matrix=bt709:out_range=tv", "format=yuv420p"]


def test_frame_rate_conversion_only_when_the_rate_changes() -> None:
    video = VideoInput(64, 64, Fraction(30000, 1001))
    same = encode_argv(FF, video, 30, OUT, EncodeOptions(fps=Fraction(30000, 1001)))
    assert "fps=" not in _value(same, "-filter_complex")
    changed = encode_argv(FF, video, 30, OUT, EncodeOptions(fps=Fraction(24)))
    assert _graph(changed)[0] == "[0:v]fps=fps=24[s0]"


def test_codec_crf_preset_and_h265_tagging() -> None:
    argv = encode_argv(
        FF, VideoInput(64, 64, Fraction(24)), 24, OUT, EncodeOptions(codec="h265", crf=28, preset="fast")
    )
    assert _value(argv, "-c:v") == "libx265"
    assert _value(argv, "-crf") == "28"
    assert _value(argv, "-preset") == "fast"
    assert _value(argv, "-tag:v") == "hvc1"
    assert _value(argv, "-x265-params") == "log-level=error"


def test_audio_file_is_resampled_padded_and_trimmed_to_the_video_length() -> None:
    audio = AudioInput(Path("/in/song.mp3"), rate=44100)
    argv = encode_argv(FF, VideoInput(64, 64, Fraction(30000, 1001)), 300, OUT, audio=audio)
    samples = round(Fraction(300 * 1001, 30000) * 44100)  # 10.01 s
    assert samples == 441441
    assert argv[argv.index("pipe:0") + 1 : argv.index("pipe:0") + 3] == ["-i", "/in/song.mp3"]
    assert _graph(argv)[2:] == [
        "[1:a:0]asetpts=PTS-STARTPTS[s2]",
        "[s2]aresample=44100[s3]",
        f"[s3]apad=whole_len={samples}[s4]",
        f"[s4]atrim=end_sample={samples}[s5]",
    ]
    assert argv[argv.index("-map") : argv.index("-map") + 4] == ["-map", "[s1]", "-map", "[s5]"]
    assert _value(argv, "-c:a") == "aac"
    assert _value(argv, "-b:a") == "192k"


def test_audio_length_follows_the_converted_rate() -> None:
    audio = AudioInput(Path("/in/a.wav"), rate=48000)
    argv = encode_argv(
        FF, VideoInput(64, 64, Fraction(30000, 1001)), 300, OUT, EncodeOptions(fps=Fraction(24)), audio
    )
    # 300 frames at 29.97 -> 240 frames at 24 -> exactly 10 s of audio
    assert f"atrim=end_sample={10 * 48000}" in _value(argv, "-filter_complex")


def test_silent_track_comes_from_anullsrc() -> None:
    argv = encode_argv(
        FF, VideoInput(64, 64, Fraction(24)), 48, OUT, audio=AudioInput(None, rate=48000, channels=2)
    )
    assert argv[argv.index("pipe:0") + 1 : argv.index("pipe:0") + 5] == [
        "-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo",
    ]  # fmt: skip
    assert _graph(argv)[2:] == ["[1:a]apad=whole_len=96000[s2]", "[s2]atrim=end_sample=96000[s3]"]
    assert _value(argv, "-c:a") == "aac"


@pytest.mark.parametrize(
    ("frames", "fps", "out_fps", "expected"),
    [
        (300, Fraction(30000, 1001), Fraction(24), 240),
        (10, Fraction(24), Fraction(30), 13),  # 12.5 rounds up, like ffmpeg's fps filter
        (13, Fraction(24), Fraction(60), 33),
        (1000, Fraction(24000, 1001), Fraction(24), 1001),
        (2, Fraction(24), Fraction(8), 1),
        (1, Fraction(24), Fraction(5), 0),
        (192, Fraction(24), None, 192),
    ],
)
def test_output_frames(frames: int, fps: Fraction, out_fps: Fraction | None, expected: int) -> None:
    assert output_frames(frames, fps, out_fps) == expected


def test_audio_samples_are_exact_for_ntsc_rates() -> None:
    assert audio_samples(1001, Fraction(30000, 1001), 48000) == round(Fraction(1001 * 1001, 30000) * 48000)
    assert audio_samples(192, Fraction(24), 44100) == 8 * 44100


def test_too_short_for_the_output_rate_is_refused() -> None:
    with pytest.raises(ValueError, match="too short"):
        encode_argv(FF, VideoInput(64, 64, Fraction(24)), 1, OUT, EncodeOptions(fps=Fraction(5)))


def test_find_ffmpeg_prefers_the_override_then_path_then_imageio(tmp_path: Path, monkeypatch) -> None:
    bundled = imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv(ENV_FFMPEG, bundled)
    assert find_ffmpeg() == bundled
    monkeypatch.setenv(ENV_FFMPEG, str(tmp_path / "missing-ffmpeg"))
    with pytest.raises(FfmpegError, match="DH_FFMPEG"):
        find_ffmpeg()
    monkeypatch.delenv(ENV_FFMPEG)
    on_path = tmp_path / "bin" / "ffmpeg"
    on_path.parent.mkdir()
    on_path.symlink_to(bundled)
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_ffmpeg() == str(on_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg here
    assert find_ffmpeg() == bundled


def test_a_broken_system_ffmpeg_is_skipped_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(ENV_FFMPEG, raising=False)
    broken = tmp_path / "bin" / "ffmpeg"
    broken.parent.mkdir()
    # what a system ffmpeg with a missing shared library does: the loader fails before main()
    broken.write_text(
        "#!/bin/sh\necho 'ffmpeg: error while loading shared libraries: libavdevice.so.59' >&2\nexit 127\n"
    )
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(broken.parent))
    with caplog.at_level("WARNING"):
        assert find_ffmpeg() == imageio_ffmpeg.get_ffmpeg_exe()
    assert "does not run" in caplog.text and "libavdevice.so.59" in caplog.text
    monkeypatch.setenv(ENV_FFMPEG, str(broken))  # asked for by name: an error, not a silent fallback
    with pytest.raises(FfmpegError, match="does not run.*libavdevice"):
        find_ffmpeg()


def test_run_failure_reports_the_end_of_stderr(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(FfmpegError) as err:
        run_ffmpeg([find_ffmpeg(), "-hide_banner", "-i", str(bad), "-f", "null", "-"])
    message = str(err.value)
    assert "ffmpeg failed (exit" in message
    assert "not-a-video.mp4" in message  # ffmpeg's own line naming the input


def test_pipe_failure_reports_frames_written_and_stderr(tmp_path: Path) -> None:
    out = tmp_path / "missing-dir" / "out.mp4"  # ffmpeg cannot open the output
    argv = encode_argv(find_ffmpeg(), VideoInput(64, 64, Fraction(24)), 48, out)
    chunks = (np.zeros((16, 64, 64, 3), np.uint8) for _ in range(3))
    with pytest.raises(FfmpegError) as err:
        pipe_frames(argv, chunks, total=48)
    assert "missing-dir" in str(err.value)
    assert not out.exists()


def test_pipe_frames_reports_progress_and_writes_every_frame(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    argv = encode_argv(find_ffmpeg(), VideoInput(64, 64, Fraction(24)), 40, out)
    seen: list[tuple[int, int | None]] = []
    chunks = (np.full((n, 64, 64, 3), 100, np.uint8) for n in (16, 16, 8))
    assert pipe_frames(argv, chunks, total=40, progress=lambda d, t: seen.append((d, t))) == 40
    assert seen == [(16, 40), (32, 40), (40, 40)]
    assert probe(out, count_frames=True).frames == 40


_THREADED_PROCESS = """
import sys, threading, time
import av, numpy as np
from dhcore.media.ffmpeg import find_ffmpeg, pipe_frames, run_ffmpeg

local, started = threading.local(), threading.Barrier(3)
def resize():  # a PyAV reformatter kept in a thread-local, its slice threads busy
    local.reformatter = av.video.reformatter.VideoReformatter()
    frame = av.VideoFrame.from_ndarray(np.zeros((240, 320, 3), np.uint8), format="rgb24")
    started.wait()
    while True:
        local.reformatter.reformat(frame, width=640, height=480, format="yuv420p", threads=4)
for _ in range(2):
    threading.Thread(target=resize, daemon=True).start()
started.wait()
ffmpeg = find_ffmpeg()
for _ in range(20):
    run_ffmpeg([ffmpeg, "-version"])
    pipe_frames([ffmpeg, "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "8x8", "-i", "-",
                 "-f", "null", "-"], [np.zeros((2, 8, 8, 3), np.uint8)])
print("done")
"""


def test_ffmpeg_starts_while_other_threads_hold_pyav_state() -> None:
    """A Popen preexec_fn (the old prctl call) ran Python in the forked child, which freed the other
    threads' thread-locals there: a PyAV reformatter's deadlocked it and Popen waited for ever (a CI
    run hung in the photo shoot's video portrait). 40 starts take about a second."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(  # noqa: S603 - argv list, no shell
        [sys.executable, "-c", _THREADED_PROCESS], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "done"
