"""Every declared stage by name. Declarations load on first lookup (a stage's module, or its family's table)."""

from __future__ import annotations

import importlib

from dhcore.stage import StageDef

#: stage name -> the module whose STAGE declares it
MODULES = {
    "pose.extract": "dhcore.pose.extract",
    "pose.import_openpose": "dhcore.pose.openpose_json",
    "pose.smooth": "dhcore.pose.smooth",
    "pose.align": "dhcore.pose.align",
    "pose.render": "dhcore.pose.render",
    "face.restore": "dhcore.face.restore",
    "face.refine": "dhcore.face.refine",
    "face.identity": "dhcore.face.identity",
    "evaluate.pose_pck": "dhcore.metrics.pck",
    "assemble": "dhcore.media.assemble",
    "render.extras": "dhcore.media.extras",
    "shoot.identity": "dhcore.shoot.identity",
    "shoot.arcface": "dhcore.shoot.arcface",
    "shoot.score": "dhcore.shoot.score",
    "shoot.deliver": "dhcore.shoot.deliver",
    "shoot.contact_sheet": "dhcore.shoot.contact_sheet",
    "shoot.video_portrait": "dhcore.shoot.video_portrait",
    "tryon.warp": "dhcore.tryon.warp",
    "tryon.fashn_vton": "dhcore.tryon.fashn.stage",
    "tryon.figures": "dhcore.tryon.figures",
    "faceswap.video": "dhcore.faceswap.stage",
    "face_edit.mesh": "dhcore.faceedit.render",
    "face_edit.mesh_video": "dhcore.faceedit.video",
    "face_edit.figures": "dhcore.faceedit.figures",
    "speech.espeak": "dhcore.talk.tts",
    "talking_head.mesh": "dhcore.talk.render",
    "talking_head.mesh_video": "dhcore.talk.video",
    "talking_head.figures": "dhcore.talk.figures",
    "talking_head.musetalk": "dhcore.talk.musetalk.stage",
    "face_reenact.mesh": "dhcore.reenact.render",
    "face_reenact.liveportrait": "dhcore.reenact.liveportrait.stage",
    "face_reenact.figures": "dhcore.reenact.figures",
}
FAMILIES = ("animate.", "shoot.generate.")


def get(name: str) -> StageDef:
    if name.startswith("animate."):
        from dhcore.animate.registry import stage

        return stage(name.removeprefix("animate."))
    if name.startswith("shoot.generate."):
        from dhcore.shoot.stage import declaration

        return declaration(name.removeprefix("shoot.generate."))
    if name not in MODULES:
        raise KeyError(
            f"unknown stage {name!r} (known: {', '.join(MODULES)}, {', '.join(f + '*' for f in FAMILIES)})"
        )
    stage: StageDef = importlib.import_module(MODULES[name]).STAGE
    return stage
