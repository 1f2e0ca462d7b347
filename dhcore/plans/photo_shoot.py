"""The photo-shoot plan, phase by phase: each phase is a pure function of the spec and of what the
previous phases measured (the identity's threshold, the candidates' scores).

identity photos -> shoot.identity -> [shoot.arcface] + template originals scored
  -> rounds of candidates (shoot.generate.<backend>, prompt portraits then template_swap, shoot.score)
     until every look has enough passing or retries run out -> shoot.deliver -> contact sheet, video
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from dhcore.plan import Call, Ref, SpecInput, spec_input
from dhcore.shoot import contact_sheet, deliver, identity, score, video_portrait
from dhcore.shoot.registry import CAPABILITIES
from dhcore.shoot.select import Candidate, Selection, first_round, plan_round, select
from dhcore.shoot.stage import declaration
from dhcore.spec.photo_shoot import PhotoShootSpec

Slot = tuple[str, int, int]  # (look, index, seed) of one candidate


def _slot_id(look: str, index: int) -> str:
    return f"{look}:{index}"


@dataclass(frozen=True)
class ShootPlan:
    loaded: Any

    @property
    def spec(self) -> PhotoShootSpec:
        return self.loaded.spec  # type: ignore[no-any-return]

    def inputs(self) -> tuple[SpecInput, ...]:
        spec, files = self.spec, self.loaded.files
        inputs = [SpecInput(f"identity_{i:02d}", files[("identity", "photos", i)], "image")
                  for i in range(len(spec.identity.photos))]  # fmt: skip
        inputs += [SpecInput(f"template_{look.name}", files[("looks", i, "template")], "image")
                   for i, look in enumerate(spec.looks) if look.template is not None]  # fmt: skip
        if spec.outputs.video.music.path:
            inputs.append(SpecInput("music", files[("outputs", "video", "music", "path")], "audio"))
        return tuple(inputs)

    def templates(self) -> list[str]:
        return [look.name for look in self.spec.looks if look.template is not None]

    def identity_calls(self) -> list[Call]:
        photos = [spec_input(f"identity_{i:02d}") for i in range(len(self.spec.identity.photos))]
        params = identity.Params(backend=self.spec.identity.face_backend, face=self.spec.identity.face)
        return [Call("identity", identity.NAME, params, {"photo": photos})]

    def threshold(self, embedding_media: dict[str, Any]) -> float:
        return self.spec.selection.threshold or float(embedding_media["threshold"])

    def _scoring(self, threshold: float) -> score.Params:
        return score.Params(backend=self.spec.identity.face_backend, threshold=threshold)

    def _used(self, embedding_media: dict[str, Any]) -> list[Ref]:
        return [spec_input(f"identity_{i:02d}") for i in embedding_media["used"]]

    def setup_calls(self, embedding_media: dict[str, Any]) -> list[Call]:
        """arc2face's own embedding, and each template original scored (so the check is seen not to be vacuous)."""
        threshold, embedding = self.threshold(embedding_media), Ref("identity", "embedding")
        calls = [Call(f"template_score:{look}", score.NAME, self._scoring(threshold),
                      {"image": spec_input(f"template_{look}"), "embedding": embedding}, wait=False)
                 for look in self.templates()]  # fmt: skip
        if self.spec.backend == "arc2face":
            calls.append(
                Call("arcface", "shoot.arcface", _no_params(), {"photo": self._used(embedding_media)})
            )
        return calls

    def look_seeds(self) -> dict[str, int]:
        spec = self.spec
        return {
            look.name: look.seed if look.seed is not None else spec.seed + i
            for i, look in enumerate(spec.looks)
        }

    def counts(self) -> dict[str, int]:
        return {look.name: look.count for look in self.spec.looks}

    def first_round(self) -> list[Slot]:
        return first_round(self.counts(), self.look_seeds())

    def round_calls(self, slots: list[Slot], embedding_media: dict[str, Any]) -> list[Call]:
        """Generate, (give prompt portraits the identity,) and score every candidate of a round: all
        generations first, so the two workers are never both waiting."""
        spec, used = self.spec, self._used(embedding_media)
        looks = {look.name: look for look in spec.looks}
        generator = declaration(spec.backend)
        backend_params = spec.backend_call_params()
        w, h = spec.outputs.width, spec.outputs.height
        gens, transfers, scores = [], [], []
        for look, index, seed in slots:
            slot, lk = _slot_id(look, index), looks[look]
            params = generator.Params(look=look, index=index, seed=seed, prompt=lk.prompt,
                                      negative_prompt=lk.negative_prompt, width=w, height=h, params=backend_params)  # fmt: skip
            inputs: dict[str, Any] = {"photo": used}
            if lk.template is not None:
                inputs["template"] = spec_input(f"template_{look}")
            if spec.backend == "arc2face":
                inputs["embedding"] = Ref("arcface", "embedding")
            gens.append(Call(f"generate:{slot}", generator.name, params, inputs, wait=False))
            image = Ref(f"generate:{slot}", "image")
            if not CAPABILITIES[spec.backend].templates:  # prompt portraits of nobody in particular
                swap = declaration("template_swap")
                transfer = swap.Params(look=look, index=index, seed=seed, width=w, height=h,
                                       params={"face_backend": spec.identity.face_backend, "missing_face": "keep",
                                               "identity_face": spec.identity.face})  # fmt: skip
                transfers.append(Call(f"transfer:{slot}", swap.name, transfer, {"photo": used, "template": image}, wait=False))  # fmt: skip
                image = Ref(f"transfer:{slot}", "image")
            scores.append(Call(f"score:{slot}", score.NAME, self._scoring(self.threshold(embedding_media)),
                               {"image": image, "embedding": Ref("identity", "embedding")}, wait=False))  # fmt: skip
        return gens + transfers + scores

    @staticmethod
    def image_of(look: str, index: int, calls: set[str]) -> Ref:
        slot = _slot_id(look, index)
        return (
            Ref(f"transfer:{slot}", "image")
            if f"transfer:{slot}" in calls
            else Ref(f"generate:{slot}", "image")
        )

    def next_round(
        self, candidates: list[Candidate], rounds_done: int, threshold: float
    ) -> tuple[Selection, list[Slot]]:
        """The selection so far and the next round's slots (none when every look is full or retries ran out)."""
        selection = select(candidates, self.counts(), threshold, self.spec.selection.top_k)
        more = (
            plan_round(selection, candidates, self.look_seeds())
            if rounds_done <= self.spec.selection.retries
            else []
        )
        return selection, more

    def delivery_calls(
        self, selection: Selection, candidates: list[Candidate], score_metrics: dict[str, dict[str, float]],
        threshold: float, calls: set[str], title: str,
    ) -> tuple[list[Call], dict[str, Ref]]:  # fmt: skip
        """Deliver the selection; the contact sheet of every candidate (and template original); the video."""
        out = self.spec.outputs
        delivered, outputs = [], {}
        for i, c in enumerate(selection.delivered):
            params = deliver.Params(width=out.width, height=out.height, format=out.format,
                                    file_name=deliver.file_name(c.look, c.index, out.format))  # fmt: skip
            delivered.append(Call(f"deliver:{i}", deliver.NAME, params, {"image": self.image_of(c.look, c.index, calls)},
                                  wait=False))  # fmt: skip
            outputs[f"image_{i + 1:02d}"] = Ref(f"deliver:{i}", "image")
        result = list(delivered)
        if out.contact_sheet:
            chosen = {(c.look, c.index) for c in selection.delivered}
            images = [spec_input(f"template_{look}") for look in self.templates()]
            entries = [_caption(look, None, "template", score_metrics[f"template_score:{look}"], threshold)
                       for look in self.templates()]  # fmt: skip
            for c in candidates:
                m = score_metrics[f"score:{_slot_id(c.look, c.index)}"]
                status = (
                    "delivered"
                    if (c.look, c.index) in chosen
                    else ("passed" if m["identity_pass"] else "failed")
                )
                images.append(self.image_of(c.look, c.index, calls))
                entries.append(_caption(c.look, c.index, status, m, threshold))
            sheet = contact_sheet.Params(title=title, entries=entries)
            result.append(Call("contact_sheet", contact_sheet.NAME, sheet, {"image": images}, wait=False))
            outputs["contact_sheet"] = Ref("contact_sheet", "contact_sheet")
        video = out.video
        if video.enabled and delivered:
            params = video_portrait.Params(
                width=out.width, height=out.height, fps=video.fps, seconds_per_image=video.seconds_per_image,
                crossfade=video.crossfade, motion=video.motion, duration=video.duration,
            )  # fmt: skip
            music = spec_input("music") if video.music.path else None
            images = [Ref(d.id, "image") for d in delivered]
            result.append(
                Call("video", video_portrait.NAME, params, {"image": images, "music": music}, wait=False)
            )
            outputs["video"] = Ref("video", "video")
        return result, outputs


def _no_params() -> Any:
    from dhcore.stage import NoParams

    return NoParams()


def _caption(
    look: str, index: int | None, status: str, m: dict[str, float], threshold: float
) -> contact_sheet.Caption:
    return contact_sheet.Caption(
        look=look, index=index, status=status, distance=m.get("identity_distance"),  # type: ignore[arg-type]
        similarity=m.get("identity_similarity"), threshold=threshold,
    )  # fmt: skip


def candidate(slot: Slot, metrics: dict[str, float], made: dict[str, float] | None = None) -> Candidate:
    """The candidate of a slot from its score's metrics and those of the call that made its image."""
    look, index, seed = slot
    realism = (made or {}).get("realism")
    return Candidate(look, index, seed, metrics.get("identity_distance"), metrics["quality"], realism=realism)


def shoot_metrics(
    selection: Selection,
    candidates: list[Candidate],
    threshold: float,
    template_distances: list[float | None],
) -> dict[str, float]:
    distances = [c.distance for c in selection.delivered if c.distance is not None]
    realism = [c.realism for c in selection.delivered if c.realism is not None]
    n = len(selection.delivered)
    return {
        "delivered": float(n),
        "identity_pass_rate": sum(d <= threshold for d in distances) / n if n else 0.0,
        "candidates": float(len(candidates)),
        "candidate_pass_rate": sum(c.distance is not None and c.distance <= threshold for c in candidates)
        / len(candidates),
        "identity_threshold": threshold,
        "identity_distance_min": min(distances, default=float("nan")),
        "identity_distance_median": statistics.median(distances) if distances else float("nan"),
        "identity_distance_max": max(distances, default=float("nan")),
        **({"realism_median": statistics.median(realism), "realism_min": min(realism)} if realism else {}),
        "template_original_fail_rate": sum(d is None or d > threshold for d in template_distances)
        / len(template_distances) if template_distances else float("nan"),
    }  # fmt: skip
