"""The `talking_head` spec: a portrait photo + speech (an audio file, or text when espeak-ng is
installed) -> a video of that person speaking it, with the audio, blinks and head motion."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from dhcore.spec.common import LICENCE_FIELD, FileRef, Licence, SpecModel
from dhcore.talk.params import Motion


class SpeechSpec(SpecModel):
    audio: Path | None = Field(None, description="speech recording (wav, mp3, m4a, or a video's soundtrack)")
    text: str | None = Field(
        None, min_length=1, max_length=5000, description="text to speak (needs espeak-ng installed)"
    )
    voice: str = Field("en", pattern=r"^[a-z]{2,3}([-+][A-Za-z0-9-]+)?$", description="espeak-ng voice")
    words_per_minute: int = Field(150, ge=80, le=300)

    @model_validator(mode="after")
    def _one_source(self) -> SpeechSpec:
        if (self.audio is None) == (self.text is None):
            raise ValueError("give exactly one of speech.audio and speech.text")
        return self


class TalkingHeadQualitySpec(SpecModel):
    """The figures a talking head must reach: below them (or above a ceiling) it ends needs_review."""

    enforce: Literal["review", "fail"] = Field(
        "review", description="below a threshold: review -> status needs_review; fail -> status failed"
    )
    lipsync_peak: float | None = Field(
        0.5, ge=-1, le=1, description="lowest peak cross-correlation of mouth opening vs audio envelope"
    )
    lipsync_lag_abs: float | None = Field(2, ge=0, le=5, description="largest lip-sync lag (frames)")
    silent_closed: float | None = Field(
        0.9, ge=0, le=1, description="lowest share of silent frames with the mouth at rest"
    )
    face_distance_max: float | None = Field(
        0.45, ge=0, le=2, description="highest identity distance (dlib) of any measured frame"
    )
    face_found_rate: float | None = Field(
        0.9, ge=0, le=1, description="lowest share of output frames in which the face mesh finds the face"
    )

    def thresholds(self) -> dict[str, float]:
        found = {
            "lipsync_peak": self.lipsync_peak, "silent_closed": self.silent_closed,
            "face_found_rate": self.face_found_rate,
        }  # fmt: skip
        return {k: v for k, v in found.items() if v is not None}

    def ceilings(self) -> dict[str, float]:
        found = {"lipsync_lag_abs": self.lipsync_lag_abs, "face_distance_max": self.face_distance_max}
        return {k: v for k, v in found.items() if v is not None}


class TalkingHeadSpec(SpecModel):
    version: Literal[1]
    kind: Literal["talking_head"]
    name: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    portrait: Path | None = Field(
        None, description="photo of one person's face (~50 px or more between the eyes)"
    )
    video: Path | None = Field(
        None, description="or a short video of the person (every frame showing the face): dubbed, looped"
    )
    speech: SpeechSpec
    fps: int = Field(25, ge=10, le=60, description="frame rate of the video")
    motion: Motion = Field(Motion(), description="mouth gain, coarticulation, blinks, head motion")
    backend: Literal["mesh", "musetalk"] = Field(
        "mesh",
        description="mesh: the embedded CPU face-mesh warp; musetalk: that warp's video with the mouth "
        "redrawn by MuseTalk v1.5 from local weights (GPU unless backend_params.device is cpu)",
    )
    backend_params: dict[str, Any] = Field(
        default_factory=dict, description="the lip-sync backend's own params (musetalk: model, device, ...)"
    )
    licence: Licence = LICENCE_FIELD
    quality: TalkingHeadQualitySpec = Field(
        TalkingHeadQualitySpec(), description="figures the video must reach: below them it ends needs_review"
    )

    @model_validator(mode="after")
    def _one_face_source(self) -> TalkingHeadSpec:
        if (self.portrait is None) == (self.video is None):
            raise ValueError("give exactly one of portrait and video")
        return self

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        refs = []
        for key, kind in (("portrait", "image"), ("video", "video")):
            if isinstance(data.get(key), str):
                refs.append(FileRef(loc=(key,), path=Path(data[key]), kind=kind))
        speech = data.get("speech")
        if isinstance(speech, dict) and isinstance(speech.get("audio"), str):
            refs.append(FileRef(loc=("speech", "audio"), path=Path(speech["audio"]), kind="audio_or_video"))
        return refs
