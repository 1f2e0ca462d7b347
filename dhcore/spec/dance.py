"""The `dance_video` spec: one photo of a person + a driving motion -> a finished video."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field, create_model, field_validator, model_validator

from dhcore.animate.registry import ENTRIES as ANIMATE_BACKENDS
from dhcore.face.params import FaceParams
from dhcore.pose import smooth
from dhcore.spec.common import LICENCE_FIELD, AudioSpec, FileRef, Licence, SpecModel, nearest_multiples
from dhcore.spec.quality import QualitySpec


class SubjectSpec(SpecModel):
    image: Path = Field(description="reference photo of the person (relative to the spec file)")
    person: int | None = Field(
        None, ge=0, description="which person of a group photo, numbered left to right from 0; "
        "default: the largest, most central one",
    )  # fmt: skip


class VideoMotion(SpecModel):
    type: Literal["video"]
    path: Path = Field(description="driving video; poses are detected on it")


class KeypointsMotion(SpecModel):
    type: Literal["keypoints"]
    path: Path = Field(description="dh keypoint-sequence file (.npz)")


class OpenPoseMotion(SpecModel):
    type: Literal["openpose_json"]
    path: Path = Field(description="folder of per-frame OpenPose JSON files, sorted by name")
    fps: float = Field(24.0, gt=0, le=240)
    width: int = Field(gt=0, description="canvas width the pixel coordinates refer to")
    height: int = Field(gt=0, description="canvas height the pixel coordinates refer to")


Motion = Annotated[VideoMotion | KeypointsMotion | OpenPoseMotion, Field(discriminator="type")]


class AlignSpec(SpecModel):
    method: Literal["auto", "musepose", "unianimate", "none"] = Field(
        "auto", description="auto: musepose (bone lengths from the reference, directions from the dancer)"
    )
    frame: Literal["auto"] | Annotated[int, Field(ge=0)] = Field(
        "auto", description="driving frame the scales are measured on; auto: a robust choice over frames"
    )


class SmoothingSpec(smooth.Params):
    """One-Euro smoothing of the driving poses (the pose.smooth stage's params, plus a switch)."""

    model_config = ConfigDict(extra="forbid", frozen=False)
    enabled: bool = True

    def stage_params(self) -> smooth.Params:
        return smooth.Params(**self.model_dump(exclude={"enabled"}))


class PoseSpec(SpecModel):
    detector: Literal["mediapipe", "dwpose"] = "mediapipe"
    parts: Literal["all", "body"] = Field(
        "all", description="driving videos with mediapipe: 'body' skips hands and face (about 2x faster)"
    )
    align: AlignSpec = AlignSpec()
    smoothing: SmoothingSpec = SmoothingSpec()


#: the longer side of a canvas that follows the photo's aspect
CANVAS_SIDE = 512


class _AnimateCommon(SpecModel):
    width: int | None = Field(
        None, ge=64, le=4096, description="output width; unset: follows the photo's aspect (longer side 512)"
    )
    height: int | None = Field(
        None, ge=64, le=4096, description="output height; unset: follows the photo's aspect (longer side 512)"
    )
    seed: int = Field(0, ge=0)


WarpParams = ANIMATE_BACKENDS["warp"].Params


class WarpAnimate(_AnimateCommon):
    backend: Literal["warp"] = "warp"
    params: WarpParams = Field(  # type: ignore[valid-type]
        default_factory=WarpParams,
        description="the warp backend's params (mesh_step, grabcut, feather, inpaint, ...)",
    )


GuidanceType = Literal["depth", "normal", "semantic_map", "densepose"]
#: which backend reads which guidance videos (declared in the backend table)
GUIDANCE_OF = {name: e.guidance for name, e in ANIMATE_BACKENDS.items() if e.guidance}


class DiffusionAnimate(_AnimateCommon):
    backend: Literal[
        "animate_anyone", "musepose", "champ", "unianimate", "magicanimate", "mimicmotion", "wan_animate"
    ]
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="the backend's params: steps, guidance_scale, window, overlap, dtype, device, model, ...",
    )
    guidance: dict[GuidanceType, Path] = Field(
        default_factory=dict,
        description="per-frame conditioning videos (one frame per driving frame): champ's depth, normal, "
        "semantic_map (its dwpose is the skeleton); magicanimate's densepose (required)",
    )

    @model_validator(mode="after")
    def _guidance_fits_backend(self) -> DiffusionAnimate:
        allowed = GUIDANCE_OF.get(self.backend, ())
        if extra := [k for k in self.guidance if k not in allowed]:
            users = ", ".join(f"{k} ({b})" for b, kinds in GUIDANCE_OF.items() for k in kinds)
            raise ValueError(
                f"animate.guidance {', '.join(extra)} is not read by {self.backend}; used: {users}"
            )
        if self.backend == "magicanimate" and "densepose" not in self.guidance:
            raise ValueError(
                "magicanimate needs animate.guidance.densepose: a DensePose video of the driving motion"
            )
        if self.backend == "wan_animate" and (bad := [v for v in (self.width, self.height) if v and v % 16]):
            raise ValueError(f"wan_animate needs width and height in multiples of 16, not {bad}")
        return self

    @field_validator("width", "height")
    @classmethod
    def _multiple_of_8(cls, value: int | None) -> int | None:
        if value is not None and value % 8:
            raise ValueError(
                f"{value} is not a multiple of 8 (the VAE works on 8x8 blocks); use {nearest_multiples(value, 8)}"
            )
        return value


def _typed(entry: Any) -> type[DiffusionAnimate]:
    """DiffusionAnimate with `backend` fixed to one name and `params` typed by that backend's Params."""
    return create_model(  # type: ignore[no-any-return, call-overload]
        "".join(part.title() for part in entry.name.split("_")) + "Animate",
        __base__=DiffusionAnimate,
        backend=(Literal[entry.name], ...),  # type: ignore[valid-type]
        params=(
            entry.Params,
            Field(default_factory=entry.Params, description=f"the {entry.name} backend's params"),
        ),
    )


#: one spec model per registered backend, so the JSON Schema lists every backend's params
ANIMATE_SPECS: tuple[type[_AnimateCommon], ...] = (
    WarpAnimate,
    *(_typed(e) for name, e in ANIMATE_BACKENDS.items() if name != "warp"),
)
Animate = Annotated[Union[ANIMATE_SPECS], Field(discriminator="backend")]  # type: ignore[valid-type]  # noqa: UP007


class ExtrasSpec(SpecModel):
    side_by_side: bool = Field(False, description="reference | skeleton | result video")
    skeleton_overlay: bool = Field(False, description="result with the target skeleton drawn over it")


class OutputSpec(SpecModel):
    fps: float | None = Field(None, gt=0, le=240, description="output frame rate; default: the source's")
    audio: AudioSpec = AudioSpec()
    codec: Literal["h264", "h265"] = "h264"
    crf: int = Field(18, ge=0, le=51)
    extras: ExtrasSpec = ExtrasSpec()


class DanceSpec(SpecModel):
    version: Literal[1]
    kind: Literal["dance_video"]
    name: str | None = Field(
        None, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", description="production name (default: file name)"
    )
    subject: SubjectSpec
    motion: Motion
    pose: PoseSpec = PoseSpec()
    animate: Animate = WarpAnimate()
    face: FaceParams = Field(FaceParams(), description="identity check, restoration and identity refinement")
    output: OutputSpec = OutputSpec()
    quality: QualitySpec = Field(
        QualitySpec(), description="figures the video must reach: below them it ends needs_review (or failed)"
    )
    licence: Licence = LICENCE_FIELD

    @model_validator(mode="before")
    @classmethod
    def _warp_is_the_default_backend(cls, data: Any) -> Any:
        animate = data.get("animate") if isinstance(data, dict) else None
        if isinstance(animate, dict) and "backend" not in animate:
            data = {**data, "animate": {**animate, "backend": "warp"}}
        return data

    def face_stages_requested(self) -> bool:
        f = self.face
        return f.identity.enabled or f.restore.backend != "none" or f.refine.backend != "none"

    @model_validator(mode="after")
    def _audio_needs_video(self) -> DanceSpec:
        if self.output.audio.source == "driving" and self.motion.type != "video":
            raise ValueError(
                f"output.audio.source 'driving' needs a driving video, but motion.type is "
                f"{self.motion.type!r}; use 'file' with a path, or 'none'"
            )
        if self.animate.backend == "wan_animate" and self.motion.type != "video":
            raise ValueError(
                f"animate.backend wan_animate reads the driver's face from the driving video, but motion.type is "
                f"{self.motion.type!r}; use motion.type video"
            )
        if self.animate.backend == "wan_animate" and (
            self.animate.width is None or self.animate.height is None
        ):
            raise ValueError(
                "animate.backend wan_animate needs animate.width and animate.height (multiples of 16)"
            )
        mode = getattr(self.animate.params, "mode", None)
        if self.animate.backend == "wan_animate" and mode == "replace" and self.pose.align.method != "none":
            raise ValueError(
                "animate.params.mode replace keeps the driver's place in the driving video: it needs "
                f"pose.align.method none, not {self.pose.align.method!r}"
            )
        return self

    @staticmethod
    def file_refs(data: dict[str, Any]) -> list[FileRef]:
        """Files named in a spec document; works on unvalidated data so that file problems are
        reported together with schema problems."""
        motion_kinds = {"video": "video", "keypoints": "keypoints", "openpose_json": "openpose_dir"}
        motion = _get(data, "motion")
        audio = _get(data, "output", "audio")
        guidance = _get(data, "animate", "guidance")
        candidates = [
            (("subject", "image"), _get(data, "subject", "image"), "image"),
            (("motion", "path"), _get(motion, "path"), motion_kinds.get(str(_get(motion, "type")))),
            (("output", "audio", "path"), _get(audio, "path"), "audio_or_video"),
            *((("animate", "guidance", kind), path, "video") for kind, path in _items(guidance)),
        ]
        return [
            FileRef(loc=loc, path=Path(value), kind=kind)
            for loc, value, kind in candidates
            if isinstance(value, str) and value and kind
        ]


def _items(value: Any) -> list[tuple[Any, Any]]:
    """A mapping's items; nothing for a malformed value (the schema check reports it)."""
    return list(value.items()) if isinstance(value, dict) else []


def canvas_size(spec: DanceSpec, photo_size: tuple[int, int]) -> tuple[int, int]:
    """The output (width, height) of `spec` for a photo of `photo_size`."""
    return photo_canvas(photo_size, spec.animate.width, spec.animate.height)


def photo_canvas(
    photo_size: tuple[int, int], width: int | None = None, height: int | None = None
) -> tuple[int, int]:
    """The output (width, height): what is set, the rest from the photo's aspect (longer side
    CANVAS_SIDE, multiples of 8), so a portrait photo is never cropped to its middle."""
    pw, ph = photo_size
    if width is not None and height is not None:
        return width, height

    def to8(v: float) -> int:
        return max(64, int(round(v / 8)) * 8)

    if width is not None:
        return width, to8(width * ph / pw)
    if height is not None:
        return to8(height * pw / ph), height
    longer = max(pw, ph)
    return to8(CANVAS_SIDE * pw / longer), to8(CANVAS_SIDE * ph / longer)


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
