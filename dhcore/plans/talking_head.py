"""The talking-head plan: [text -> speech.espeak] -> talking_head.mesh (portrait, speech)
[-> talking_head.<lip-sync backend> (frames, speech)] -> assemble (frames + speech) -> talking_head.figures
(on the delivered frames)."""

from __future__ import annotations

from typing import Any

from dhcore.media import assemble
from dhcore.plan import Call, Plan, Ref, SpecInput, spec_input
from dhcore.quality import Verdict, judge
from dhcore.spec.talking_head import TalkingHeadSpec
from dhcore.talk import figures, render, tts, video
from dhcore.talk.backends import TALKING_HEAD

PRODUCTION_METRICS = (
    "lipsync_peak", "lipsync_lag", "lipsync_lag_abs", "viseme_agreement", "silent_closed", "face_distance_max",
    "face_distance_mean", "landmark_jitter", "frames_without_face", "face_found_rate", "voiced_share",
    "video_loops", "lipsync_frames_without_face",
)  # fmt: skip


def plan_talking_head(loaded: Any) -> Plan:
    spec: TalkingHeadSpec = loaded.spec
    face = ("video", "video") if spec.video is not None else ("portrait", "image")
    inputs = [SpecInput(face[0], loaded.files[(face[0],)], face[1])]
    calls = []
    if spec.speech.text is not None:
        spoken = tts.Params(
            text=spec.speech.text, voice=spec.speech.voice, words_per_minute=spec.speech.words_per_minute
        )
        calls.append(Call("speech", tts.NAME, spoken, {}))
        speech = Ref("speech", "audio")
    else:
        inputs.append(SpecInput("speech", loaded.files[("speech", "audio")], "audio"))
        speech = spec_input("speech")
    if spec.video is not None:  # dubbing: the video's own motion, its first frame as the identity
        dub = video.Params(**spec.motion.model_dump())
        calls.append(Call("render", video.NAME, dub, {"video": spec_input("video"), "audio": speech}))
        portrait = Ref("render", "still")
    else:
        animate = render.Params(fps=spec.fps, **spec.motion.model_dump())
        calls.append(
            Call("render", render.NAME, animate, {"portrait": spec_input("portrait"), "audio": speech})
        )
        portrait = spec_input("portrait")
    frames = Ref("render", "frames")
    if spec.backend != "mesh":  # a lip-sync backend redraws the rendered mouth from the audio
        lipsync = TALKING_HEAD[spec.backend].load()
        sync = lipsync.Params(**spec.backend_params)
        calls.append(Call("lipsync", lipsync.name, sync, {"frames": frames, "audio": speech}))
        frames = Ref("lipsync", "frames")
    calls += [
        Call("assemble", assemble.NAME, assemble.Params(audio="file"), {"frames": frames, "audio": speech}),
        Call(
            "figures",
            figures.NAME,
            figures.Params(),
            {"portrait": portrait, "audio": speech, "frames": frames},
        ),
    ]
    return Plan(tuple(inputs), tuple(calls), {"video": Ref("assemble", "video")})


def production_metrics(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    return {k: v for m in metrics.values() for k, v in m.items() if k in PRODUCTION_METRICS}


def verdict(loaded: Any, metrics: dict[str, float]) -> Verdict:
    return judge(metrics, loaded.spec.quality)
