"""The photo-shoot flow: a few photos of one person -> scored, selected new portraits.

identity photos -> shoot.identity -> looks x count candidates (mapped, bounded concurrency;
  prompt portraits from cosmicman then get the identity by template_swap)
  -> shoot.score each (and each template original, to show the check is not vacuous)
  -> select; retry short looks with new seeds -> deliver -> contact sheet + video portrait -> report
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from prefect import flow, get_run_logger, unmapped
from prefect.task_runners import ThreadPoolTaskRunner

from dhcore.catalog.repo import AssetRef
from dhcore.errors import InputError
from dhcore.shoot import contact_sheet, deliver, identity, score, video_portrait
from dhcore.shoot.backends.template_swap import TemplateSwapParams
from dhcore.shoot.registry import get_backend
from dhcore.shoot.select import Candidate, first_round, plan_round, select, shortfall
from dhcore.spec.loader import LoadedSpec, load_spec
from dhcore.spec.photo_shoot import PhotoShootSpec
from flows.naming import production_name
from tasks.production import close_production, open_production, production_guard, register_input
from tasks.shoot import (
    arcface_embedding,
    deliver_image,
    generate_candidate,
    identity_embedding,
    make_contact_sheet,
    make_video_portrait,
    score_image,
)
from tasks.step import RunContext, StepOutcome

#: candidates generated and scored at once: two CPU cores; diffusion backends serialise on their model
CONCURRENCY = 2


def _register(
    ctx: RunContext, loaded: LoadedSpec
) -> tuple[list[AssetRef], dict[str, AssetRef], AssetRef | None]:
    spec: PhotoShootSpec = loaded.spec
    files = loaded.files
    photos = [
        register_input(ctx, files[("identity", "photos", i)], "image", f"identity_{i:02d}")
        for i in range(len(spec.identity.photos))
    ]
    templates = {
        look.name: register_input(ctx, files[("looks", i, "template")], "image", f"template_{look.name}")
        for i, look in enumerate(spec.looks)
        if look.template is not None
    }
    music = spec.outputs.video.music
    track = (
        register_input(ctx, files[("outputs", "video", "music", "path")], "audio", "music")
        if music.path
        else None
    )
    return photos, templates, track


def _candidates(
    ctx: RunContext, spec: PhotoShootSpec, used: list[AssetRef], templates: dict[str, AssetRef],
    embedding: AssetRef, generator_embedding: AssetRef | None, threshold: float,
) -> tuple[list[Candidate], dict[tuple[str, int], tuple[StepOutcome, StepOutcome]], Any]:  # fmt: skip
    """Generate and score rounds of candidates until every look has enough passing (or retries run out)."""
    backend = get_backend(spec.backend)
    params = backend.Params(**{"face_backend": spec.identity.face_backend, **spec.backend_params}) \
        if spec.backend == "template_swap" else backend.Params(**spec.backend_params)  # fmt: skip
    looks = {look.name: look for look in spec.looks}
    counts = {look.name: look.count for look in spec.looks}
    seeds = {
        look.name: look.seed if look.seed is not None else spec.seed + i for i, look in enumerate(spec.looks)
    }
    scoring = score.Params(backend=spec.identity.face_backend, threshold=threshold)
    candidates: list[Candidate] = []
    made: dict[tuple[str, int], tuple[StepOutcome, StepOutcome]] = {}
    plan, rounds = first_round(counts, seeds), 0
    while plan:
        w, h = spec.outputs.width, spec.outputs.height
        generated = generate_candidate.map(
            unmapped(ctx), unmapped(spec.backend), unmapped(params), [p[0] for p in plan], [p[1] for p in plan],
            [p[2] for p in plan], unmapped(used), [templates.get(p[0]) for p in plan],
            [looks[p[0]].prompt for p in plan], [looks[p[0]].negative_prompt for p in plan],
            unmapped(generator_embedding), unmapped(w), unmapped(h),
        ).result()  # fmt: skip
        if not backend.supports_templates:  # prompt portraits of nobody in particular: give them the identity
            transfer = TemplateSwapParams(face_backend=spec.identity.face_backend, missing_face="keep")
            generated = generate_candidate.map(
                unmapped(ctx), unmapped("template_swap"), unmapped(transfer), [p[0] for p in plan],
                [p[1] for p in plan], [p[2] for p in plan], unmapped(used), [g.out("image") for g in generated],
                unmapped(None), unmapped(None), unmapped(None), unmapped(w), unmapped(h),
            ).result()  # fmt: skip
        scored = score_image.map(
            unmapped(ctx), [g.out("image") for g in generated], unmapped(embedding), unmapped(scoring)
        ).result()
        for (look, index, seed), gen, sc in zip(plan, generated, scored, strict=True):
            made[(look, index)] = (gen, sc)
            candidates.append(
                Candidate(look, index, seed, sc.metrics.get("identity_distance"), sc.metrics["quality"])
            )
        selection = select(candidates, counts, threshold, spec.selection.top_k)
        rounds += 1
        plan = plan_round(selection, candidates, seeds) if rounds <= spec.selection.retries else []
    return candidates, made, selection


def _sheet_entry(
    look: str, index: int | None, status: str, sc: StepOutcome, threshold: float
) -> dict[str, Any]:
    return {
        "look": look, "index": index, "status": status, "distance": sc.metrics.get("identity_distance"),
        "similarity": sc.metrics.get("identity_similarity"), "threshold": threshold,
    }  # fmt: skip


@flow(
    name="photo-shoot",
    flow_run_name=production_name,
    task_runner=ThreadPoolTaskRunner(max_workers=CONCURRENCY),
)
def photo_shoot(spec_path: str, production_id: str | None = None) -> dict[str, Any]:
    started = time.time()
    log = get_run_logger()
    loaded = load_spec(spec_path)
    spec: PhotoShootSpec = loaded.spec
    ctx = open_production(loaded, production_id)
    with production_guard(ctx):
        photos, templates, music = _register(ctx, loaded)
        ident = identity_embedding(ctx, photos, identity.Params(backend=spec.identity.face_backend))
        embedding = ident.out("embedding")
        threshold = spec.selection.threshold or float(embedding.media["threshold"])
        used = [photos[i] for i in embedding.media["used"]]
        generator_embedding = (
            arcface_embedding(ctx, used).out("embedding") if spec.backend == "arc2face" else None
        )

        scoring = score.Params(backend=spec.identity.face_backend, threshold=threshold)
        originals = dict(zip(templates, score_image.map(
            unmapped(ctx), list(templates.values()), unmapped(embedding), unmapped(scoring)).result(), strict=True))  # fmt: skip
        candidates, made, selection = _candidates(
            ctx, spec, used, templates, embedding, generator_embedding, threshold
        )
        warnings, error = shortfall(selection, spec.selection.require)
        for warning in warnings:
            log.warning(warning)
        if error:
            raise InputError(error)

        out = spec.outputs
        names = [deliver.file_name(c.look, c.index, out.format) for c in selection.delivered]
        delivered = deliver_image.map(
            unmapped(ctx), [made[(c.look, c.index)][0].out("image") for c in selection.delivered], names,
            unmapped(deliver.Params(width=out.width, height=out.height, format=out.format)),
        ).result()  # fmt: skip
        outputs = {f"image_{i + 1:02d}": d.out("image") for i, d in enumerate(delivered)}
        if out.contact_sheet:
            chosen = {(c.look, c.index) for c in selection.delivered}
            sheet_images = list(templates.values())
            entries = [_sheet_entry(look, None, "template", originals[look], threshold) for look in templates]
            for c in candidates:
                gen, sc = made[(c.look, c.index)]
                status = (
                    "delivered"
                    if (c.look, c.index) in chosen
                    else ("passed" if sc.metrics["identity_pass"] else "failed")
                )
                sheet_images.append(gen.out("image"))
                entries.append(_sheet_entry(c.look, c.index, status, sc, threshold))
            title = f"{loaded.name}: {len(delivered)} delivered of {len(candidates)} ({spec.backend})"
            sheet = make_contact_sheet(ctx, sheet_images, entries, contact_sheet.Params(title=title))
            outputs["contact_sheet"] = sheet.out("contact_sheet")
        video = out.video
        if video.enabled and delivered:
            portrait = make_video_portrait(
                ctx, [d.out("image") for d in delivered], music,
                video_portrait.Params(
                    width=out.width, height=out.height, fps=video.fps, seconds_per_image=video.seconds_per_image,
                    crossfade=video.crossfade, motion=video.motion, duration=video.duration,
                ),
            )  # fmt: skip
            outputs["video"] = portrait.out("video")

        distances = [c.distance for c in selection.delivered if c.distance is not None]
        template_d = [sc.metrics.get("identity_distance") for sc in originals.values()]
        metrics = {
            "delivered": float(len(delivered)),
            "identity_pass_rate": sum(d <= threshold for d in distances) / len(delivered) if delivered else 0.0,
            "candidates": float(len(candidates)),
            "candidate_pass_rate": sum(c.distance is not None and c.distance <= threshold for c in candidates)
            / len(candidates),
            "identity_threshold": threshold,
            "identity_distance_min": min(distances, default=float("nan")),
            "identity_distance_median": statistics.median(distances) if distances else float("nan"),
            "identity_distance_max": max(distances, default=float("nan")),
            "template_original_fail_rate": sum(d is None or d > threshold for d in template_d) / len(template_d)
            if template_d else float("nan"),
        }  # fmt: skip
        info = close_production(ctx, outputs, metrics, warnings)
    return {"production_id": ctx.production_id, "status": info["status"], "flow_started_at": started}
