"""Photo-shoot stages as catalogued Prefect tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dhcore.catalog.repo import AssetRef
from dhcore.models.registry import weights_digest
from dhcore.shoot import arcface, contact_sheet, deliver, identity, score, video_portrait
from dhcore.shoot.base import ShootInputs
from dhcore.shoot.faces import face_weights_sha256
from dhcore.shoot.registry import get_backend
from dhcore.stage import StageParams
from tasks.step import RunContext, StepOutcome, execute, stage_task


def _roles(prefix: str, refs: list[AssetRef]) -> dict[str, AssetRef]:
    return {f"{prefix}_{i:02d}": ref for i, ref in enumerate(refs)}


@stage_task("shoot.identity")
def identity_embedding(ctx: RunContext, photos: list[AssetRef], params: identity.Params) -> StepOutcome:
    """One identity from the person's photos: quality-filtered mean embedding, outliers reported."""
    return execute(
        ctx, identity.NAME, identity.VERSION, params, _roles("photo", photos),
        lambda out, progress: identity.run([Path(p.path) for p in photos], out, params, progress),
        weights_sha256=face_weights_sha256(params.backend),
    )  # fmt: skip


@stage_task("shoot.arcface")
def arcface_embedding(ctx: RunContext, photos: list[AssetRef]) -> StepOutcome:
    """The identity in arc2face's own ArcFace space (its conditioning input)."""
    return execute(
        ctx, arcface.NAME, arcface.VERSION, {}, _roles("photo", photos),
        lambda out, progress: arcface.run([Path(p.path) for p in photos], out / "arcface.npy", progress),
        weights_sha256=weights_digest(arcface.model_ids()),
    )  # fmt: skip


@stage_task("shoot.generate")
def generate_candidate(
    ctx: RunContext, backend_name: str, params: StageParams, look: str, index: int, seed: int,
    photos: list[AssetRef], template: AssetRef | None, prompt: str | None, negative_prompt: str | None,
    embedding: AssetRef | None, width: int, height: int,
) -> StepOutcome:  # fmt: skip
    """One candidate portrait of a look."""
    backend = get_backend(backend_name)
    inputs = _roles("photo", photos)
    if template is not None:
        inputs["template"] = template
    if embedding is not None:
        inputs["embedding"] = embedding
    shoot_inputs = ShootInputs(
        tuple(Path(p.path) for p in photos), Path(embedding.path) if embedding else None,
        Path(template.path) if template else None, prompt, negative_prompt, seed, width, height,
    )  # fmt: skip
    key_params = {"backend": backend_name, "params": params, "look": look, "index": index, "seed": seed,
                  "prompt": prompt, "negative_prompt": negative_prompt, "width": width, "height": height}  # fmt: skip
    weights = weights_digest(backend.model_ids(params))
    return execute(
        ctx, f"shoot.generate.{backend_name}", backend.version, key_params, inputs,
        lambda out, progress: backend.generate(shoot_inputs, params, out / "candidate.png"),
        weights_sha256=weights,
    )  # fmt: skip


@stage_task("shoot.score")
def score_image(ctx: RunContext, image: AssetRef, embedding: AssetRef, params: score.Params) -> StepOutcome:
    """Identity distance and quality of one image (a candidate, or a template original)."""
    return execute(
        ctx, score.NAME, score.VERSION, params, {"image": image, "embedding": embedding},
        lambda out, progress: score.run(Path(image.path), Path(embedding.path), out / "score.json", params, progress),
        weights_sha256=face_weights_sha256(params.backend),
    )  # fmt: skip


@stage_task("shoot.deliver")
def deliver_image(ctx: RunContext, image: AssetRef, name: str, params: deliver.Params) -> StepOutcome:
    """A delivered portrait in the requested size and format."""
    return execute(
        ctx, deliver.NAME, deliver.VERSION, {"params": params, "name": name}, {"image": image},
        lambda out, progress: deliver.run(Path(image.path), out / name, params, progress),
    )  # fmt: skip


@stage_task("shoot.contact_sheet")
def make_contact_sheet(
    ctx: RunContext, images: list[AssetRef], entries: list[dict[str, Any]], params: contact_sheet.Params
) -> StepOutcome:  # fmt: skip
    """All candidates (and the template originals) in a grid with their scores."""
    sheet = [
        contact_sheet.SheetEntry(path=Path(img.path), **e) for img, e in zip(images, entries, strict=True)
    ]
    return execute(
        ctx, contact_sheet.NAME, contact_sheet.VERSION, {"params": params, "entries": entries},
        _roles("image", images),
        lambda out, progress: contact_sheet.run(sheet, out / "contact_sheet.png", params, progress),
    )  # fmt: skip


@stage_task("shoot.video_portrait")
def make_video_portrait(
    ctx: RunContext, images: list[AssetRef], music: AssetRef | None, params: video_portrait.Params
) -> StepOutcome:  # fmt: skip
    """The delivered portraits as a video with pans, zooms and crossfades, set to music."""
    inputs = _roles("image", images) | ({"music": music} if music else {})
    return execute(
        ctx, video_portrait.NAME, video_portrait.VERSION, params, inputs,
        lambda out, progress: video_portrait.run(
            [Path(i.path) for i in images], out / "video_portrait.mp4", params,
            Path(music.path) if music else None, progress,
        ),
    )  # fmt: skip
