"""tryon.fashn_vton: the FASHN VTON v1.5 try-on backend (GPU by default, CPU when asked).

person photo + its keypoints + product photo -> prepare.py's model inputs at the model's size ->
the rectified-flow sampler -> the generated photo cut back to the person photo's size. The model
redraws the whole picture, so nothing is pasted back: the figures measure how far face, outline
and background moved. `edit_mask` is the greyed-out garment area (255), and there is no warped
garment to compare with (the garment-placement figures need one and are not measured).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from dhcore.errors import InputError
from dhcore.models import ids
from dhcore.pose.extract import read_image
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import Device, InputValue, Output, StageContext, StageDef, StageParams, StageResult, port

NAME = "tryon.fashn_vton"
VERSION = "1"
#: the spec's categories as the release's (a dress is its "one-piece")
CATEGORY_IDS = {"top": 1, "bottom": 2, "dress": 3}
GREY = 128


class Params(StageParams):
    #: registry id of the weights folder (dh models add fashn_vton_1_5 FOLDER)
    model: Literal["fashn_vton_1_5"] = ids.FASHN_VTON
    #: sampler steps (the release's default: 30)
    steps: int = Field(30, ge=1, le=200)
    #: classifier-free guidance scale (1: none)
    guidance: float = Field(1.5, ge=1.0, le=10.0)
    seed: int = Field(0, ge=0)
    #: auto: the GPU when there is one; cpu pins the run (and its deployment) to the CPU
    device: Device = "auto"
    #: what the garment is (the spec's garment.category; set by the plan)
    category: Literal["top", "bottom", "dress"] = "top"


def _device(params: Params) -> Device:
    return params.device


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("person", "image"), port("garment", "image"), port("person_pose", "pose")),
    outputs=(port("image", "image"), port("edit_mask", "image")),
    impl="dhcore.tryon.fashn.stage:run",
    model_ids=lambda p: [p.model],
    device=_device,
    backend="fashn_vton",
)


def torch_device(device: Device) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def try_on(
    photo: np.ndarray, garment: np.ndarray, pose: PoseSequence, model: object, params: Params
) -> dict[str, np.ndarray]:
    """The dressed photo (the photo's size) and the garment area it was asked to redraw."""
    import torch

    from dhcore.tryon.fashn import prepare
    from dhcore.tryon.fashn.sampling import sample

    c = model.config  # type: ignore[attr-defined]
    person, box = prepare.resize_pad(photo, c.height, c.width)
    area = prepare.garment_area(pose, box, c.height, c.width, params.category)
    agnostic = np.where(area[..., None], GREY, person).astype(np.uint8)
    drawn = prepare.pose_drawing(pose, box, c.height, c.width)
    product, _ = prepare.resize_pad(garment, c.height, c.width)
    first = next(model.parameters())  # type: ignore[attr-defined]
    conditions = {
        "person": prepare.to_tensor(agnostic), "person_pose": prepare.to_tensor(drawn),
        "garment": prepare.to_tensor(product), "garment_pose": prepare.to_tensor(np.zeros_like(drawn)),
    }  # fmt: skip
    conditions = {k: v.to(first.device, first.dtype) for k, v in conditions.items()}
    conditions["category"] = torch.tensor([CATEGORY_IDS[params.category]], device=first.device)
    generator = torch.Generator(first.device).manual_seed(params.seed)
    out = sample(model, conditions, steps=params.steps, guidance=params.guidance, generator=generator)  # type: ignore[arg-type]
    h, w = photo.shape[:2]
    image = prepare.unpad(prepare.from_tensor(out), box, h, w)
    mask = prepare.unpad(area.astype(np.uint8) * 255, box, h, w)
    return {"image": image, "edit_mask": np.where(mask >= 128, 255, 0).astype(np.uint8)}


def _load(folder: Path, device: str) -> object:
    import torch

    from dhcore.tryon.fashn.weights import load

    model = load(folder, device)
    return model.to(torch.bfloat16) if device == "cuda" else model


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Dress the person photo with the FASHN VTON model."""
    from dhcore.models.registry import resolve
    from dhcore.tryon.warp import _write

    person_path = Path(inputs["person"])
    photo, garment = read_image(person_path), read_image(Path(inputs["garment"]))
    pose = PoseSequence.load(Path(inputs["person_pose"]))
    if (pose.width, pose.height) != photo.shape[1::-1]:
        raise InputError(f"{person_path}: its pose is for a {pose.width}x{pose.height} photo")
    folder, device = resolve(params.model, ctx.models_root), torch_device(params.device)
    model = ctx.pool.get((NAME, str(folder), device), lambda: _load(folder, device), slot="tryon.fashn_vton")
    out = try_on(photo, garment, pose, model, params)
    ctx.progress(1, 1)
    if not (out["edit_mask"] == 255).any():
        ctx.log.warning("%s: no garment area (too few covered joints visible)", person_path)
    outputs = {role: Output(path=_write(Path(out_dir) / f"{role}.png", img), kind="image")
               for role, img in out.items()}  # fmt: skip
    return StageResult(
        outputs=outputs, metrics={"garment_area": float((out["edit_mask"] == 255).mean())}, frames=1
    )
