"""tryon.warp: the embedded CPU try-on backend for tops.

product photo -> garment mask and outline anchors (garment.py: a flat lay; worn.py: on a person)
-> a thin-plate spline that puts the garment's neck, shoulders and hem on the person's neck,
shoulders and torso (MediaPipe pose), keeping the garment's own length-to-width ratio and turning
its own torso axis onto the person's -> clipped to the person's silhouette and to where a top lies
(the torso, arms as wide as the arms: zones.wear_zone), head and forearms kept in front -> shaded with
the light and folds of the person's own clothing (its badges and straps left out) -> what the old top
showed around the new one (torso and upper arms, below the shoulders) inpainted (warp/fill.py).
Sleeve ends follow the upper arms when the elbows are visible. A bottom (category "bottom", a flat
lay only: bottoms.py) goes the same way with its waist, crotch, knees and hems on the hips, knees and
ankles, clipped to the pelvis and legs.

What it cannot do: dresses and outerwear (the spec refuses them: a dress over trousers would need
the trouser legs removed and a skirt's drape, outerwear a layer over the top with its own collar and
open front); a skirt as a bottom; a bottom worn by someone else; a top tucked in or a bottom's
waistband tucked under a top (the bottom is laid over the top's hem); long sleeves on bent
arms (a sleeve is straight along the upper arm); folds of its own (the new cloth takes the old
clothing's folds, so a tight top on a baggy suit looks baggy); hair over the shoulders; a new top
shorter than the old one leaves an inpainted smear, not trousers. A garment worn by someone else
(worn.py) keeps that person's shading and folds, loses what their hair or hands covered, and only
its part below their shoulder line is taken, so it sits low on a person photographed closer; a
small one is blown up and blurred (the figures say so: shoulder_cover, garment_upscale).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from dhcore.animate.warp.body import Body, measure_body
from dhcore.animate.warp.fill import inpaint
from dhcore.animate.warp.mask import person_alpha
from dhcore.errors import InputError
from dhcore.pose.extract import read_image
from dhcore.pose.keypoints import PoseSequence
from dhcore.stage import InputValue, Output, StageContext, StageDef, StageParams, StageResult, port
from dhcore.tryon import bottoms, tps
from dhcore.tryon.fit import FOLD_COARSE, FOLD_FINE, own_cloth
from dhcore.tryon.garment import Garment
from dhcore.tryon.worn import cut_any
from dhcore.tryon.zones import in_front, masked_blur, torso_zone, wear_zone

NAME = "tryon.warp"
VERSION = "3"
CONFIDENCE = 0.3


class Params(StageParams):
    #: what the garment is (the spec's garment.category; set by the plan)
    category: Literal["top", "bottom"] = "top"
    #: how strongly the person's clothing light shades the new garment (0: flat, 1: full)
    shading: float = Field(0.8, ge=0, le=1)
    #: the garment's shoulders sit this share of the shoulder width outside the shoulder joints
    shoulder_ease: float = Field(0.12, ge=0, le=0.5)
    #: and may reach this share of the shoulder width beyond the person's silhouette
    silhouette_margin: float = Field(0.04, ge=0, le=0.3)
    #: how the old top's uncovered rest is filled (warp/fill.py)
    inpaint: Literal["telea", "ns", "pyramid"] = "telea"


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("person", "image"), port("garment", "image"), port("person_pose", "pose")),
    outputs=(port("image", "image"), port("edit_mask", "image"), port("warped_garment", "image")),
    impl="dhcore.tryon.warp:run",
)


def person_body(pose: PoseSequence, name: str, category: str = "top") -> Body:
    """The person's body in photo pixels; an InputError when the joints the garment needs are not
    visible (a top: both shoulders; a bottom: both hips and knees)."""
    joints = pose.body[0, :, :2].astype(np.float64) * (pose.width, pose.height)
    ok = (pose.body[0, :, 2] >= CONFIDENCE) & np.isfinite(joints).all(axis=1)
    body = measure_body(joints, ok, max(pose.width, pose.height))
    if category == "bottom":
        bottoms.legs(body, name)
    elif body.torso is None:
        raise InputError(f"{name}: both shoulders must be visible to put a top on this person")
    return body


def targets(body: Body, garment: Garment, ease: float) -> dict[str, np.ndarray]:
    """Where the garment's anchors go on the person: the garment keeps its length-to-width ratio."""
    rs, ls, lh, rh = body.torso
    across = (ls - rs) / max(np.linalg.norm(ls - rs), 1e-6)
    down = (rh + lh) / 2 - (rs + ls) / 2
    down /= max(np.linalg.norm(down), 1e-6)
    width = float(np.linalg.norm(ls - rs))
    g = garment.anchors
    g_width = float(np.linalg.norm(g["l_shoulder"] - g["r_shoulder"]))
    scale = width * (1 + 2 * ease) / max(g_width, 1e-6)
    g_mid = (g["l_shoulder"] + g["r_shoulder"]) / 2
    g_across = (g["l_shoulder"] - g["r_shoulder"]) / max(g_width, 1e-6)
    # the garment's own torso axis (shoulders' middle to hem's middle) goes down the person's torso:
    # a garment photographed on a leaning wearer is straightened, not tilted onto the person
    g_axis = (g["l_hem"] + g["r_hem"]) / 2 - g_mid
    g_down = g_axis / max(np.linalg.norm(g_axis), 1e-6)
    if abs(float(np.cross(g_across, g_down))) < 0.5:  # a degenerate outline: square to the shoulders
        g_down = np.array([-g_across[1], g_across[0]])
    basis = np.linalg.inv(np.column_stack([g_across, g_down]))
    mid = (rs + ls) / 2 - 0.06 * width * down

    def place(p: np.ndarray) -> np.ndarray:
        u, v = basis @ (p - g_mid)
        return mid + scale * (float(u) * across + float(v) * down)

    placed = {name: place(p) for name, p in g.items() if not name.endswith("_sleeve")}
    for side in ("r", "l"):  # a sleeve hangs along the upper arm, as long as the garment makes it
        sleeve, shoulder, elbow = (
            g.get(f"{side}_sleeve"),
            placed[f"{side}_shoulder"],
            body.point(f"{side}_elbow"),
        )
        if sleeve is None or elbow is None:
            continue
        arm = elbow - body.point(f"{side}_shoulder")
        outward = -1.0 if side == "r" else 1.0
        if float(arm @ across) * outward < 0:
            continue  # an upper arm across the body: a sleeve there would fold the torso
        length = scale * float(np.linalg.norm(sleeve - g[f"{side}_shoulder"]))
        placed[f"{side}_sleeve"] = shoulder + arm / max(np.linalg.norm(arm), 1e-6) * length
    return placed


def warp_garment(
    garment: Garment, dst: dict[str, np.ndarray], shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The garment (RGB float32) and its mask (float32) in the person photo's pixels."""
    names = sorted(dst)  # anchors the person has no target for (a sleeve without an elbow) are left free
    src = np.array([dst[n] for n in names])
    coef = tps.fit(src, np.array([garment.anchors[n] for n in names]))
    h, w = shape
    grid = np.stack(np.meshgrid(np.arange(w), np.arange(h)), axis=-1).astype(np.float64)
    where = tps.apply(src, coef, grid).astype(np.float32)
    rgb = cv2.remap(garment.image, where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.remap(
        garment.mask.astype(np.float32), where[..., 0], where[..., 1], cv2.INTER_LINEAR, borderValue=0
    )
    return rgb.astype(np.float32), np.clip(mask, 0, 1)


def shading(photo: np.ndarray, region: np.ndarray, scale: float, strength: float) -> np.ndarray:
    """The person's clothing light, 1.0 = its median: broad light and shadow times folds and creases
    (the band between a fine and a wide blur). Where the old clothing is not its own cloth (a badge,
    a strap, an undershirt: fit.own_cloth) its light is filled in from the cloth around it."""
    own = own_cloth(photo, region, scale)
    if not own.any():
        return np.ones(region.shape, np.float32)
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    rim = max(2, round(0.01 * scale))  # a patch's soft rim is no cloth either
    patches = cv2.dilate((region & ~own).astype(np.uint8), np.ones((2 * rim + 1, 2 * rim + 1), np.uint8))
    if patches.any():
        grey = cv2.inpaint(grey, patches, max(3, round(0.02 * scale)), cv2.INPAINT_TELEA)
    # + 16: in a dark cloth, noise of a few grey levels is no fold
    luma = grey.astype(np.float32) + 16.0
    weight = region.astype(np.float32)
    fine, fine_w = masked_blur(luma, weight, max(1.0, FOLD_FINE * scale), with_weight=True)
    broad, broad_w = masked_blur(luma, weight, max(2.0, FOLD_COARSE * scale), with_weight=True)
    light = np.where(broad_w > 0.05, np.clip(broad / float(np.median(broad[region])), 0.7, 1.25), 1.0)
    folds = np.where(fine_w > 0.2, np.clip(fine / np.maximum(broad, 1.0), 0.75, 1.3), 1.0)
    return ((light * folds) ** strength).astype(np.float32)


def try_on(photo: np.ndarray, garment: Garment, body: Body, params: Params) -> dict[str, np.ndarray]:
    shape = photo.shape[:2]
    person = person_alpha(photo, body, grabcut=True, edge_radius=4) > 0.5
    margin = max(1, round(params.silhouette_margin * body.scale))
    if params.category == "bottom":
        dst = bottoms.targets(bottoms.legs(body, "person"), garment.anchors)
        zone, worn_before = bottoms.wear_zone(body, person, margin), bottoms.wear_zone(body, person, 0)
    else:
        dst = targets(body, garment, params.shoulder_ease)
        zone, worn_before = wear_zone(body, person, margin), torso_zone(body, shape)
    warped, gmask = warp_garment(garment, dst, shape)
    silhouette = cv2.dilate(person.astype(np.uint8), np.ones((2 * margin + 1, 2 * margin + 1), np.uint8)) > 0
    front = in_front(body, shape) & person
    # sleeves and legs as wide as the limbs, nothing over the background or an object in front
    alpha = gmask * (silhouette & zone) * ~front
    alpha = cv2.GaussianBlur(alpha.astype(np.float32), (0, 0), sigmaX=0.8) * (gmask > 0.02)
    covered = alpha > 0.5
    old = person & worn_before & ~front
    hole = old & ~covered
    base = inpaint(photo, hole, params.inpaint) if hole.any() else photo.copy()
    shade = shading(photo, old | covered, body.scale, params.shading)[..., None]
    dressed = np.clip(warped * shade, 0, 255)
    a = alpha[..., None]
    result = np.clip(base.astype(np.float32) * (1 - a) + dressed * a + 0.5, 0, 255).astype(np.uint8)
    changed = (result != photo).any(axis=2)  # soft garment edges and the fill's seam included
    edit = np.where(covered, 255, np.where(changed | hole, 128, 0)).astype(np.uint8)
    rgba = np.dstack([np.clip(warped + 0.5, 0, 255).astype(np.uint8), (alpha * 255).astype(np.uint8)])
    return {"image": result, "edit_mask": edit, "warped_garment": rgba}


def _write(path: Path, image: np.ndarray) -> Path:
    code = cv2.COLOR_RGBA2BGRA if image.ndim == 3 and image.shape[2] == 4 else cv2.COLOR_RGB2BGR
    ok, data = cv2.imencode(".png", cv2.cvtColor(image, code) if image.ndim == 3 else image)
    if not ok:
        raise InputError(f"{path}: cannot encode PNG")
    path.write_bytes(data.tobytes())
    return path


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Dress the person photo in the product photo's top."""
    person_path, garment_path = Path(inputs["person"]), Path(inputs["garment"])
    photo = read_image(person_path)
    pose = PoseSequence.load(Path(inputs["person_pose"]))
    if (pose.width, pose.height) != photo.shape[1::-1]:
        raise InputError(f"{person_path}: its pose is for a {pose.width}x{pose.height} photo")
    garment = cut_any(read_image(garment_path), str(garment_path), params.category)
    out = try_on(photo, garment, person_body(pose, str(person_path), params.category), params)
    ctx.progress(1, 1)
    outputs = {role: Output(path=_write(Path(out_dir) / f"{role}.png", img), kind="image")
               for role, img in out.items()}  # fmt: skip
    edit = out["edit_mask"]
    return StageResult(
        outputs=outputs,
        metrics={"garment_area": float((edit == 255).mean()), "inpainted_area": float((edit == 128).mean())},
        frames=1,
    )
