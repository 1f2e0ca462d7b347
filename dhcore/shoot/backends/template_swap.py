"""Backend `template_swap` (embedded, CPU): the identity's face put onto a template photo's face.

Per candidate: the template's main face (`shoot.faces.main_face`: the largest, favouring the
centre; every other face is left untouched) is found on the template; the template is
cover-fitted to width x height (the project's photo -> frame convention); one identity photo's
face is warped onto the template face's landmarks by the face stack's `landmark_swap`
(colours matched to the template face, feathered in); the classical restorer recovers
detail; and the face's colours are pulled towards the template's own face once more, so the
new face sits in the template's light. The realism figure (dhcore.face.realism: seam, tone jump,
warp distortion) of the result against the fitted template is among the candidate's metrics, and
selection ranks by it after identity.

The swapped area stops `forehead` x (chin-brow distance) above the brows, lower than the face
stack's own outline: a hat or fringe in the identity photo (Grace Hopper's cap) otherwise
comes along as a grey band across the template's forehead. The default blend is multiband:
Poisson cloning keeps the strong cap-to-skin gradient inside the face and brightens the forehead
below it into a glaring band on every t1.jpg template; multiband and the feather do not.

Seeds vary what a photographer would vary between frames, each drawn from the seed's own
generator, so one seed always gives the same image and different seeds different, still
valid, candidates: which identity photo is the source (different light and pose on the face),
`reference_shape` within +-shape_jitter (how much of the identity's face proportions survive:
every value in the default range keeps Grace Hopper within dlib's 0.6 on all test templates),
and a slight zoom towards the face with a small shift (framing). None of these can move the
face out of the frame: the crop always contains the face.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.face import realism
from dhcore.face.align import hull_mask
from dhcore.face.color import lab_stats, match_lab
from dhcore.face.faces import face_outline
from dhcore.face.reference import reference_face
from dhcore.face.restorers import ClassicalRestorer
from dhcore.face.swap import LandmarkSwapper
from dhcore.media.geometry import cover_fit
from dhcore.models import ids
from dhcore.shoot.base import ShootInputs
from dhcore.shoot.faces import find_faces, require_main_face, shared_analyzer
from dhcore.shoot.params import TemplateSwapParams
from dhcore.stage import Output, StageParams, StageResult

NAME = "template_swap"
#: a template face narrower than this in the output gets a warning: too few pixels for a likeness
SMALL_FACE_PX = 64


@dataclass(frozen=True)
class Variation:
    photo: int
    reference_shape: float
    zoom: float
    shift: tuple[float, float]


def draw_variation(seed: int, params: TemplateSwapParams, photos: int) -> Variation:
    """What this seed changes; the same seed always draws the same values."""
    rng = np.random.default_rng(int(seed))
    photo = int(rng.integers(photos)) if params.source == "seeded" else 0
    shape = float(np.clip(params.reference_shape + params.shape_jitter * rng.uniform(-1, 1), 0.0, 1.0))
    zoom = 1.0 + params.zoom_jitter * float(rng.uniform(0, 1))
    shift = rng.uniform(-1, 1, 2) * params.shift_jitter
    return Variation(photo, shape, zoom, (float(shift[0]), float(shift[1])))


def crop_window(
    size: tuple[int, int], out: tuple[int, int], face_box: np.ndarray, zoom: float = 1.0,
    shift: tuple[float, float] = (0.0, 0.0),
) -> tuple[int, int, int, int]:  # fmt: skip
    """The template region (x0, y0, x1, y1) that becomes the output frame.

    zoom 1 and no shift: the cover-fit crop (largest centred window of the output's aspect).
    Zooming moves the window's centre towards the face in proportion; the window then shifts
    as little as needed to contain the face box, and to stay inside the image.
    """
    w, h = size
    aspect = out[0] / out[1]
    cw = min(float(w), h * aspect) / zoom
    ch = cw / aspect
    fx0, fy0, fx1, fy1 = (float(v) for v in face_box)
    pull = 1.0 - 1.0 / zoom
    cx = w / 2 + ((fx0 + fx1) / 2 - w / 2) * pull + shift[0] * cw
    cy = h / 2 + ((fy0 + fy1) / 2 - h / 2) * pull + shift[1] * ch
    if fx1 - fx0 <= cw:
        cx = min(max(cx, fx1 - cw / 2), fx0 + cw / 2)
    if fy1 - fy0 <= ch:
        cy = min(max(cy, fy1 - ch / 2), fy0 + ch / 2)
    cx = min(max(cx, cw / 2), w - cw / 2)
    cy = min(max(cy, ch / 2), h - ch / 2)
    x0 = int(np.clip(round(cx - cw / 2), 0, max(0, w - round(cw))))
    y0 = int(np.clip(round(cy - ch / 2), 0, max(0, h - round(ch))))
    return x0, y0, min(w, x0 + max(1, round(cw))), min(h, y0 + max(1, round(ch)))


def _fit(image: np.ndarray, window: tuple[int, int, int, int], out: tuple[int, int]) -> np.ndarray:
    x0, y0, x1, y1 = window
    crop = image[y0:y1, x0:x1]
    shrink = (x1 - x0) > out[0]
    return cv2.resize(crop, out, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_CUBIC)


def _to_window(points: np.ndarray, window: tuple[int, int, int, int], out: tuple[int, int]) -> np.ndarray:
    x0, y0, x1, y1 = window
    scale = np.array([out[0] / (x1 - x0), out[1] / (y1 - y0)], np.float32)
    return ((np.asarray(points, np.float32) - np.array([x0, y0], np.float32)) * scale).astype(np.float32)


class TemplateSwapBackend:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "cpu"
    supports_prompts: ClassVar[bool] = False
    supports_templates: ClassVar[bool] = True
    Params: ClassVar[type[StageParams]] = TemplateSwapParams

    def model_ids(self, params: StageParams) -> list[str]:
        """Registry models read: none with dlib (its models ship in the wheel; their digest is
        `shoot.faces.face_weights_sha256`), the face stack's buffalo_l pack with insightface."""
        face_backend = getattr(params, "face_backend", "dlib")
        return [ids.BUFFALO_L] if face_backend == "insightface" else []

    def generate(self, inputs: ShootInputs, params: StageParams, out_path: Path) -> StageResult:
        """The identity on the template's main face, width x height, as a PNG."""
        if not isinstance(params, TemplateSwapParams):
            raise TypeError(f"template_swap takes TemplateSwapParams, got {type(params).__name__}")
        if inputs.prompt:
            raise InputError(
                "template_swap cannot follow text prompts (it puts the identity onto a template photo's "
                "face): give this look a `template`, or use backend cosmicman for prompt looks"
            )
        if inputs.template is None:
            raise InputError("template_swap needs a template photo for every look")
        if not inputs.identity_photos:
            raise InputError("template_swap needs at least one identity photo")
        started = time.perf_counter()
        analyzer = shared_analyzer(params.face_backend)
        template = find_faces(Path(inputs.template), analyzer)
        out = (inputs.width, inputs.height)
        if template.main() is None and params.missing_face == "keep":
            return _kept(template.original, out, Path(out_path), inputs, started)
        face = require_main_face(template, "template", analyzer.backend)
        landmarks = analyzer.landmarks68(template.image, face) / template.scale
        outline = face_outline(landmarks)
        variation = draw_variation(inputs.seed, params, len(inputs.identity_photos))
        source = Path(inputs.identity_photos[variation.photo])
        window = crop_window(
            (template.original.shape[1], template.original.shape[0]), out,
            np.concatenate([outline.min(0), outline.max(0)]),
            variation.zoom, variation.shift,
        )  # fmt: skip
        fitted = _fit(template.original, window, out)
        target = _to_window(landmarks, window, out)
        ref = reference_face(source, analyzer, params.identity_face)
        image, distortion = self._put_face(fitted, target, ref, variation.reference_shape, params)
        figure = realism.measure(fitted, image, distortion)
        _write_png(image, Path(out_path))
        warnings = []
        face_px = float(np.ptp(target[:, 0]))
        if face_px < SMALL_FACE_PX:
            warnings.append(
                f"{inputs.template}: the face is only {face_px:.0f} px wide at {out[0]}x{out[1]}; "
                "the identity may not carry over (crop the template closer to the face)"
            )
        if len(template.faces) > 1:
            warnings.append(
                f"{inputs.template}: {len(template.faces)} faces; the main one (largest, favouring the "
                "centre) was replaced, the others are untouched"
            )
        meta = {
            "backend": NAME, "seed": inputs.seed, "template": str(inputs.template), "source_photo": str(source),
            "reference_shape": round(variation.reference_shape, 4), "zoom": round(variation.zoom, 4),
            "shift": [round(v, 4) for v in variation.shift], "window": list(window),
            "template_faces": len(template.faces), "face_px": round(face_px, 1), "face_backend": params.face_backend,
            "width": inputs.width, "height": inputs.height,
        }  # fmt: skip
        metrics = {"generate_seconds": round(time.perf_counter() - started, 4)}
        if figure is not None:
            metrics.update(figure.metrics())
        return StageResult(
            outputs={"image": Output(path=Path(out_path), kind="image", meta=meta)},
            metrics=metrics,
            warnings=warnings,
        )

    @staticmethod
    def _put_face(
        frame: np.ndarray, landmarks: np.ndarray, ref: object, shape: float, params: TemplateSwapParams
    ) -> tuple[np.ndarray, float]:
        """The swapped image and its warp distortion."""
        swapper = LandmarkSwapper(ref, shape, params.blend)  # type: ignore[arg-type]
        result = swapper(frame, landmarks)
        swapped = result.image
        placed = swapper.target_points(landmarks)[:68]
        outline = face_outline(placed, lift=params.forehead)
        size = float(np.ptp(outline[:, 0]) + np.ptp(outline[:, 1])) / 2
        alpha = hull_mask(outline, frame.shape[:2], feather=max(1.0, 0.04 * size))[..., None]
        image = _mix(frame, swapped, alpha)
        if params.detail > 0:
            restorer = ClassicalRestorer(ref, strength=1.0, color=0.0, detail=params.detail)  # type: ignore[arg-type]
            image = _mix(image, restorer(image, placed[[36, 45, 30, 48, 54]], placed), alpha)
        if params.color_match > 0:
            inside = alpha[..., 0] > 0.5
            matched = match_lab(image, lab_stats(image, inside), lab_stats(frame, inside), params.color_match)
            image = _mix(image, matched, alpha)
        return image, result.distortion


def _mix(base: np.ndarray, top: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    mixed = base.astype(np.float32) * (1.0 - alpha) + top.astype(np.float32) * alpha
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def _write_png(image: np.ndarray, out_path: Path) -> None:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:  # pragma: no cover - PNG encoding of a valid uint8 image does not fail
        raise InputError(f"{out_path}: cannot encode PNG")
    out_path.write_bytes(data.tobytes())


def _kept(
    original: np.ndarray, out: tuple[int, int], out_path: Path, inputs: ShootInputs, started: float
) -> StageResult:
    """A faceless template, cover-fitted and otherwise unchanged (missing_face="keep")."""
    _write_png(cover_fit(original.shape[1], original.shape[0], *out).apply(original), out_path)
    meta = {"backend": NAME, "seed": inputs.seed, "template": str(inputs.template), "template_faces": 0,
            "width": out[0], "height": out[1]}  # fmt: skip
    return StageResult(
        outputs={"image": Output(path=out_path, kind="image", meta=meta)},
        metrics={"generate_seconds": round(time.perf_counter() - started, 4)},
        warnings=[f"{inputs.template}: no face found; kept unchanged (it fails the identity check)"],
    )
