"""A garment photographed on a person: cut from their torso and upper arms, anchored on their joints.

Used when the photo is not a flat lay. The wearer's pose (MediaPipe) gives the shoulders, hips and
elbows; their silhouette (warp/mask.py) inside the torso zone, without head and forearms, is the
garment; what the forearms hid is filled from the garment's own pixels.
"""

from __future__ import annotations

import numpy as np

from dhcore.animate.warp.body import Body, measure_body
from dhcore.animate.warp.fill import inpaint
from dhcore.animate.warp.mask import person_alpha
from dhcore.errors import InputError
from dhcore.tryon.garment import Garment, cut_bottom, cut_garment, garment_problem_or_mask
from dhcore.tryon.zones import in_front, torso_zone

CONFIDENCE = 0.3


def wearer(image: np.ndarray) -> Body | None:
    """The most prominent person's body in the photo, when both shoulders show."""
    from dhcore.pose.extract import Params, open_detector
    from dhcore.pose.extract_people import choose_person, detect_person, find_faces

    detector = open_detector(Params(), video=False)
    try:
        body, _, _ = detect_person(detector, image, choose_person(find_faces(image), None, "garment"))
    finally:
        detector.close()
    h, w = image.shape[:2]
    joints = body[:, :2].astype(np.float64) * (w, h)
    ok = (body[:, 2] >= CONFIDENCE) & np.isfinite(joints).all(axis=1)
    if not ok.any():
        return None
    found = measure_body(joints, ok, max(h, w))
    return found if found.torso is not None else None


def worn_garment(image: np.ndarray, body: Body) -> Garment:
    shape = image.shape[:2]
    person = person_alpha(image, body, grabcut=True, edge_radius=0) > 0.5
    front = in_front(body, shape)
    zone = torso_zone(body, shape)
    mask = person & zone & ~front
    hidden = person & zone & front  # forearms across the garment: filled from the garment's pixels
    texture = inpaint(image, hidden, "telea") if hidden.any() else image
    mask |= hidden
    rs, ls, lh, rh = body.torso
    down = (rh + lh) / 2 - (rs + ls) / 2
    down /= max(np.linalg.norm(down), 1e-6)
    width = float(np.linalg.norm(ls - rs))
    ys, xs = np.nonzero(mask)
    depth = (xs - (rs[0] + ls[0]) / 2) * down[0] + (ys - (rs[1] + ls[1]) / 2) * down[1]
    hem = float(np.percentile(depth, 99)) if depth.size else 1.5 * width
    anchors = {
        "neck": (rs + ls) / 2 - 0.06 * width * down,
        "r_shoulder": rs.copy(),
        "l_shoulder": ls.copy(),
        "r_hem": rs + (rh - rs) * hem / max(float(np.dot(rh - rs, down)), 1e-6),
        "l_hem": ls + (lh - ls) * hem / max(float(np.dot(lh - ls, down)), 1e-6),
    }
    for side in ("r", "l"):  # the sleeve ends where the garment stops along the upper arm
        shoulder, elbow = body.point(f"{side}_shoulder"), body.point(f"{side}_elbow")
        if shoulder is None or elbow is None:
            continue
        arm = elbow - shoulder
        length = float(np.linalg.norm(arm))
        along = ((xs - shoulder[0]) * arm[0] + (ys - shoulder[1]) * arm[1]) / max(length, 1e-6)
        across = np.abs((xs - shoulder[0]) * arm[1] - (ys - shoulder[1]) * arm[0]) / max(length, 1e-6)
        on_arm = (along > 0.15 * length) & (across < 0.2 * width)
        if on_arm.any():
            anchors[f"{side}_sleeve"] = shoulder + arm / max(length, 1e-6) * float(along[on_arm].max())
    return Garment(texture, mask, anchors)


def garment_problem(image: np.ndarray) -> str | None:
    """Why the photo shows no garment (neither a flat lay nor a person wearing one), or None."""
    problem, _ = garment_problem_or_mask(image)
    if problem is None or wearer(image) is not None:
        return None
    return f"{problem}; nor does it show a person wearing one (both shoulders visible)"


def cut_any(image: np.ndarray, name: str, category: str = "top") -> Garment:
    """The garment of a flat lay, else (a top) of the person wearing it; an InputError naming the file."""
    problem, _ = garment_problem_or_mask(image)
    if category == "bottom":
        if problem is not None:
            raise InputError(f"{name}: {problem} (a bottom must be photographed laid flat)")
        return cut_bottom(image, name)
    if problem is None:
        return cut_garment(image, name)
    body = wearer(image)
    if body is None:
        raise InputError(f"{name}: {problem}; nor does it show a person wearing one (both shoulders visible)")
    return worn_garment(image, body)
