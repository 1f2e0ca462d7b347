"""tryon.figures: what a person checks in a try-on, as numbers.

- garment_colour: 1 - Bhattacharyya distance between the hue/saturation histograms of the product
  garment and of the garment as worn (shading changes brightness, not hue: ~1 for the same cloth).
- garment_ssim: SSIM (grey) between the worn garment and the unshaded warped product, averaged over
  the garment: does the print keep its structure through shading and compositing.
- silhouette_iou: person mask (MediaPipe Pose segmentation) before vs after: same body outline.
- face_distance: identity distance (dlib) of the largest face before vs after; not measured
  without a face.
- background_psnr: PSNR (dB, 100 when identical) outside the person (their outline before, grown by
  `seam` of the image's long side): whatever the backend says it edited, the background must not move.
- without a warped garment (a generative backend redraws the person): only silhouette_iou,
  face_distance and background_psnr; the garment figures need the garment's placement.
- placement and realism (fit.py): collar_offset, shoulder_cover, torso_cover (tops), legs_cover
  (bottoms), garment_outside, garment_upscale, seam_new_edges, shading_agreement.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field
from skimage.metrics import structural_similarity

from dhcore.face.faces import load_analyzer
from dhcore.face.reference import detect_faces
from dhcore.pose.extract import read_image
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import InputValue, StageContext, StageDef, StageParams, StageResult, port

NAME = "tryon.figures"
VERSION = "3"
#: PSNR reported for identical pixels
PSNR_IDENTICAL = 100.0


class Params(StageParams):
    #: what the garment is: a top is placed against the shoulders and torso, a bottom the legs
    category: Literal["top", "bottom", "dress"] = "top"
    face_backend: Literal["dlib", "mediapipe"] = "dlib"
    #: share of the image's long side around the person left out of the background figure
    seam: float = Field(0.03, ge=0, le=0.2)


def _weights(params: Params, root: Path | None) -> str:
    from dhcore.shoot.faces import face_weights_sha256

    return face_weights_sha256(params.face_backend, root)


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(
        port("person", "image"),
        port("garment", "image"),
        port("result", "image"),
        port("edit_mask", "image"),
        port("warped_garment", "image", optional=True),
        port("person_pose", "pose"),
    ),  # fmt: skip
    outputs=(),
    impl="dhcore.tryon.figures:run",
    weights=_weights,
)


def hs_histogram(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    hist = cv2.calcHist([hsv], [0, 1], mask.astype(np.uint8), [18, 8], [0, 180, 0, 256])
    return cv2.normalize(hist, None, 1.0, 0.0, cv2.NORM_L1)


def colour_similarity(a: np.ndarray, a_mask: np.ndarray, b: np.ndarray, b_mask: np.ndarray) -> float:
    distance = cv2.compareHist(hs_histogram(a, a_mask), hs_histogram(b, b_mask), cv2.HISTCMP_BHATTACHARYYA)
    return float(1.0 - distance)


def masked_ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> float:
    grey_a, grey_b = (cv2.cvtColor(x, cv2.COLOR_RGB2GRAY) for x in (a, b))
    _, full = structural_similarity(grey_a, grey_b, data_range=255, full=True, win_size=7)
    inner = cv2.erode(mask.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    return float(full[inner].mean()) if inner.any() else float("nan")


def person_mask(image: np.ndarray) -> np.ndarray:
    """MediaPipe Pose's segmentation (the selfie model smears over the ground below a full-body
    person: 0.61 IoU on the footballer against 0.70 with Pose's); the selfie model only where Pose
    finds no body."""
    from dhcore.animate.warp.mask import pose_segmentation, selfie_segmentation

    prob = pose_segmentation(image)
    return (prob if prob is not None else selfie_segmentation(image)) >= 0.5


def silhouette_iou(before: np.ndarray, after: np.ndarray) -> float:
    union = (before | after).sum()
    return float((before & after).sum() / union) if union else 1.0


def background_psnr(before: np.ndarray, after: np.ndarray, edited: np.ndarray, seam: int) -> float:
    grown = cv2.dilate(edited.astype(np.uint8), np.ones((2 * seam + 1, 2 * seam + 1), np.uint8)) > 0
    outside = ~grown
    if not outside.any():
        return float("nan")
    mse = float(((before[outside].astype(np.float64) - after[outside]) ** 2).mean())
    return PSNR_IDENTICAL if mse == 0 else min(PSNR_IDENTICAL, 10 * np.log10(255.0**2 / mse))


def face_distance(before: np.ndarray, after: np.ndarray, backend: str) -> float | None:
    """Identity distance of the largest face before and after; None when the photo shows no face."""
    analyzer = load_analyzer(backend)
    embeddings = []
    for image in (before, after):
        faces = detect_faces(analyzer, image)
        if not faces:
            return None if not embeddings else float("inf")
        embeddings.append(analyzer.embed(image, max(faces, key=lambda f: f.size)))
    return float(analyzer.distance(embeddings[0], embeddings[1]))


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Measure the try-on against the person photo and the product photo."""
    from dhcore.tryon import fit
    from dhcore.tryon.warp import person_body
    from dhcore.tryon.worn import cut_any

    person, result = read_image(Path(inputs["person"])), read_image(Path(inputs["result"]))
    edit = cv2.imread(str(inputs["edit_mask"]), cv2.IMREAD_GRAYSCALE)
    worn, outline = edit == 255, person_mask(person)
    common = {
        "silhouette_iou": silhouette_iou(outline, person_mask(result)),
        "background_psnr": background_psnr(person, result, outline, round(params.seam * max(person.shape))),
    }
    distance = face_distance(person, result, params.face_backend)
    if distance is not None:
        common["face_distance"] = distance
    ctx.progress(1, 1)
    if inputs.get("warped_garment") is None:  # a generative backend: no garment placement to measure
        return StageResult(metrics={k: v for k, v in common.items() if np.isfinite(v) or k == "face_distance"},
                           frames=1)  # fmt: skip
    rgba = cv2.imread(str(inputs["warped_garment"]), cv2.IMREAD_UNCHANGED)
    warped = cv2.cvtColor(rgba[..., :3], cv2.COLOR_BGR2RGB)
    garment = cut_any(read_image(Path(inputs["garment"])), str(inputs["garment"]), params.category)
    pose = PoseSequence.load(Path(inputs["person_pose"]))
    body = person_body(pose, str(inputs["person"]), params.category)
    metrics = {
        "garment_colour": colour_similarity(garment.image, garment.mask, result, worn),
        "garment_ssim": masked_ssim(result, warped, worn),
        **common,
        "garment_outside": fit.garment_outside(worn, outline, body, params.category),
        "garment_upscale": fit.garment_upscale(worn, garment.mask),
        "seam_new_edges": fit.seam_new_edges(person, result, worn, outline),
        "shading_agreement": fit.shading_agreement(person, result, warped, worn, outline, body.scale),
    }
    if params.category == "bottom":
        metrics["legs_cover"] = fit.legs_cover(worn, outline, body)
    else:
        metrics |= {
            "collar_offset": fit.collar_offset(worn, body),
            "shoulder_cover": fit.shoulder_cover(worn, body),
            "torso_cover": fit.torso_cover(worn, outline, body),
        }
    return StageResult(
        metrics={k: v for k, v in metrics.items() if np.isfinite(v) or k == "face_distance"}, frames=1
    )
