"""Stage `assemble`: the final frames plus a soundtrack -> the delivered mp4.

Frames stream from the frames file into ffmpeg's stdin in chunks (bounded memory, and the
progress callback sees every chunk). The audio is chosen by mode (`dhcore.media.audio`),
trimmed or padded to the video's length; the output rate is the frames' rate unless set.
"""

from __future__ import annotations

from pathlib import Path

from dhcore.errors import InputError
from dhcore.media.audio import choose_audio
from dhcore.media.encode import EncodeParams, check_length, encode_mp4
from dhcore.media.frames import DEFAULT_CHUNK, iter_frames, probe
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "assemble"
VERSION = "1"


class Params(EncodeParams):
    """fps (None = keep), codec, crf, preset, audio mode."""


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("frames", "frames"), port("audio", "audio", "video", optional=True)),
    outputs=(port("video", "video"),),
    impl="dhcore.media.assemble:run",
)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Encode the frames with the soundtrack of `audio` (a video or audio file) to video.mp4."""
    frames, audio, progress = Path(inputs["frames"]), inputs.get("audio"), ctx.progress
    out_path = Path(out_dir) / "video.mp4"
    info = probe(frames)
    if not info.fps:
        raise InputError(f"{frames}: has no frame rate")
    check_length(frames, info.frames, info.fps, params.fps)
    soundtrack, warnings = choose_audio(params.audio, audio)
    result = encode_mp4(
        iter_frames(frames, chunk=DEFAULT_CHUNK), info.width, info.height, info.fps, info.frames,
        Path(out_path), params.options(), soundtrack, progress,
    )  # fmt: skip
    return StageResult(
        outputs={"video": Output(path=Path(out_path), kind="video", meta=result.as_meta())},
        metrics={"output_seconds": round(result.duration, 4)},
        frames=result.frames,
        warnings=warnings,
    )
