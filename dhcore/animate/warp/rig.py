"""Cutting the person into layers, meshing each and skinning its vertices to the handles.

Layers, not one mesh: a single mesh over the whole silhouette ties an arm lying against the
torso to the torso, so lifting the arm would drag the torso's pixels along (and tear them).
Each limb therefore gets its own mesh and texture and is drawn after the core (head and
torso), which is what puts limbs in front of the body. Where a limb covered the torso in
the photo, the core's texture is filled from the surrounding torso so that lifting the arm
reveals clothing, not a hole; where it covered only background, the background fill shows.
Which pixel belongs to which layer is decided by a seeded watershed on the photo (see
`_label_parts`), so held objects and loose sleeves go with the limb whose outline holds them.

Skinning: each vertex blends the transforms of its layer's handles with inverse-distance
weights to the handles' shapes (torso polygon, head disc, bone segments), stiff for limbs,
soft for the torso and neck. Limbs are not blended with the torso at their root: the first
bone turns about the shoulder or hip joint itself, and the layer order hides the seam.

Everything lives on a canvas padded beyond the frame (edge pixels replicated), so a body
cut by the frame border, e.g. the bottom of a half-body portrait, keeps its cut edge
outside the frame when it sways instead of showing a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from dhcore.animate.warp.body import Body, distance_to, draw_core, draw_segments
from dhcore.animate.warp.exemplar import exemplar_fill
from dhcore.animate.warp.fill import pyramid_fill
from dhcore.animate.warp.skeleton import HANDLE_INDEX, HANDLES, is_rigged
from dhcore.pose.keypoints import J

#: inverse-distance skinning exponents: higher = stiffer bones, shorter blend zones at joints.
#: Legs are stiff (a sharply bent knee must not smear the trouser leg), the torso and neck soft.
#: Arms are soft too: a stiff elbow turned a lifted forearm as a rigid block whose edge drew a
#: hard crease across the upper arm, and the pose re-detector did not take it for an arm bent
#: there (the demo's astronaut, her forearm raised or across the chest: r_wrist PCK 0.24 at 8,
#: 0.46 at 3); a soft one bends the sleeve round the elbow as cloth bends.
_POWER = {"core": 4.0, "arm": 3.0, "leg": 8.0}
#: handles drawn in a second pass, over the rest of their layer
_FRONT = ("head", "r_forearm", "l_forearm", "r_shin", "l_shin")
#: limb half-width bounds as shares of the body scale (shoulder width): arm, leg
_RADIUS = {"arm": (0.08, 0.22), "leg": (0.1, 0.22)}


@dataclass
class Layer:
    part: str
    texture: np.ndarray  # [h, w, 4] uint8 RGBA crop of the padded canvas; alpha = this part's coverage
    origin: np.ndarray  # [2] float32: output-pixel coordinates of texture pixel (0, 0)
    vertices: np.ndarray  # [N, 2] float32 reference positions in output pixels
    triangles: np.ndarray  # [T, 3] int32
    handles: np.ndarray  # [K] indices into skeleton.HANDLES
    weights: np.ndarray  # [N, K] float32, rows sum to 1
    tri_src: np.ndarray  # [T, 3, 2] float64 triangle corners in texture pixels
    src_sign: np.ndarray  # [T] orientation of each reference triangle (+1 / -1)
    #: drawing passes, back to front: (triangle indices, which of them the pass is for); the
    #: back pass also draws the front's triangles underneath its own, so no seam opens between
    passes: tuple[tuple[np.ndarray, np.ndarray], ...]


@dataclass
class Rig:
    layers: dict[str, Layer]
    pad: int
    limb_radius: dict[str, float]
    coverage: float  # share of the frame covered by the person (alpha >= 0.5)
    #: [H, W] float32: what the background fill must cover: the person's alpha as the layers take it (a
    #: held object's rim matted), and 1 over a held object's motion blur beyond it
    alpha: np.ndarray


def build_rig(
    photo: np.ndarray, alpha: np.ndarray, body: Body, step: float, feather: float, holder: str = "r_arm"
) -> Rig:
    """photo: [H, W, 3] uint8 (cover-fitted); alpha: [H, W] float32; step: mesh spacing in pixels;
    holder: the arm that keeps what both hands hold, where they meet (see `_label_parts`)."""
    h, w = alpha.shape
    pad = max(8, round(0.15 * max(h, w)))
    border = (pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    photo_p = cv2.copyMakeBorder(photo, *border)
    alpha_p = cv2.copyMakeBorder(alpha, *border)
    shape = alpha_p.shape
    person = alpha_p >= 0.5
    core_shape = draw_core(body, shape, pad) > 0
    keeper = holder if _hands_joined(body) else None
    labels, radius, claims = _label_parts(body, photo_p, alpha_p, core_shape, pad, keeper)
    held = _held_object(body, np.where(person, labels, -1), keeper, radius, pad) if keeper else None
    blur = np.zeros(shape, bool)
    if held is not None:
        photo_p, alpha_p, blur = _matte_held(photo_p, alpha_p, held[0], body.scale)
    face = _face_mask(body, shape, pad) & (labels == 0)

    parts = ["core", *body.limb_parts()]
    sleeves = _sleeves(body, h)
    body_shape = _torso_outline(core_shape, body.scale)
    rims = _limb_rims(body, photo_p, labels, person, radius, pad)
    edge = _disk(max(1, round(0.04 * body.scale)))  # a lit edge's width
    layers: dict[str, Layer] = {}
    for k, part in enumerate(parts):
        own = labels == k
        if part == "core":
            # limb pixels over the torso/head hide core texture that must show when the limb moves
            # and a seam band under each limb's feathered edge, so no background peeks through
            own &= ~np.any([np.zeros(shape, bool), *rims.values()], axis=0)
            hidden = (labels > 0) & body_shape
            if held is not None:
                # a held object beside the head hides no face: filled there, the core carried a
                # loose patch of fill beside the face that moved with the head
                hidden &= ~held[0]
            cover = cv2.dilate((own | hidden).astype(np.uint8), _disk(max(1, round(feather)) + 1)) > 0
            # the face layer is drawn over the core: under it, neck and collar colours, so a chin
            # lifted off the collar uncovers no second chin
            rgb = _fill_hidden(photo_p, own & person & ~face, (cover & ~own) | face)
            rgb = _texture_hidden(rgb, own & person & ~face, hidden & ~own & ~face)
            cover = cover.astype(np.float32)
            if body.head_only:
                # a lone head moved off the photo's edge shows the fill there, not the edge's pixels
                # replicated into a neck
                cover[:pad], cover[-pad:], cover[:, :pad], cover[:, -pad:] = 0, 0, 0, 0
        else:
            own |= rims.get(k, False)
            # where another limb lay over this one's bones in the photo, this limb's own colours
            # are diffused in, so a forearm that was under the other one is whole when they part
            claim = claims.get(k - 1, np.zeros(shape, bool)) & ~own & person
            hidden = _under_other_limb(body, part, own & person, claim, pad)
            others = claim | ((labels > 0) & (labels != k) & person)
            own, hidden = _smooth_outline(own, hidden, others, claim, radius[part])
            # and the other limb's lit edge along it, this limb's by a pixel or two: left in the fill's
            # colours, it drew the basketball player's right forearm on his left arm as a pale strip
            seam = own & (cv2.dilate(hidden.astype(np.uint8), edge) > 0)
            rgb = _fill_hidden(photo_p, own & person & ~seam, hidden | seam)
            if held is not None and part == keeper:
                # where the other hand lay on the object, and its lit edge there: the object's colours.
                # And the person's pixels the object encloses: the basketball player's right fingers
                # between the ball's pixels, not all enclosed both ways across, left holes in the ball
                # rimmed with lit finger: with his right arm hanging, a row of pale squares on the ball.
                under = held[1] | (_holes(own | hidden | held[1]) & person & ~own)
                seam = held[0] & (cv2.dilate(under.astype(np.uint8), edge) > 0)
                rgb = _fill_hidden(rgb, held[0] & ~seam, under | seam)
                hidden |= under
            # limbs do not continue past the frame: a replicated strip would swing with the arm
            cover = (own | hidden).astype(np.float32)
            cover[:pad], cover[-pad:], cover[:, :pad], cover[:, -pad:] = 0, 0, 0, 0
        if feather > 0:
            # feather outward only: a layer's own pixels stay opaque, so with an unchanged pose
            # the fringe shows exactly the photo's pixels and the seams vanish
            cover = np.maximum(cv2.GaussianBlur(cover, (0, 0), sigmaX=feather), cover)
        layer_alpha = alpha_p * np.clip(cover, 0.0, 1.0)
        if part == "core":
            # a loose bit of the mask off the body (the ball's edge by the basketball player's head)
            # was skinned to the head and drew a pale squiggle beside his face wherever he went
            solid = layer_alpha >= 0.5
            loose = _loose_bits(solid)
            if loose.any():
                near = distance_to(loose)  # the bits and their feathered fringe
                layer_alpha[(near <= 2 * feather + 1) & (near < distance_to(solid & ~loose))] = 0.0
        if not (layer_alpha > 0.02).any():
            continue
        if part in sleeves:
            layer = _mesh_layer("core", rgb, layer_alpha, body, pad, step, 0.0)
            layer = None if layer is None else replace(layer, part=part)
        else:
            layer = _mesh_layer(part, rgb, layer_alpha, body, pad, step, radius.get(part, 0.0))
        if layer is not None:
            layers[part] = layer
    if face.any():
        layer = _face_layer(photo_p, alpha_p, face, body, pad, step, feather)
        if layer is not None:
            layers["face"] = layer
    hole = np.where(blur, 1.0, alpha_p)[pad:-pad, pad:-pad].astype(np.float32)
    return Rig(layers, pad, radius, float((alpha >= 0.5).mean()), hole)


def _sleeves(body: Body, height: int) -> set[str]:
    """The arms of a portrait (no hips shown) whose elbow lies below the photo's bottom edge: a sleeve
    with no elbow in the photo to turn about. Turned to a driver's elbow, Grace Hopper's sleeves swung
    over her lapels and off her sides, baring the torso's fill under them as a dark slab at the left
    edge (dance_real's walker_half_body); skinned as the torso under it is, a sleeve moves with it."""
    if body.ok[J["r_hip"]] or body.ok[J["l_hip"]]:
        return set()
    return {
        f"{side}_arm"
        for side in "rl"
        if f"{side}_arm" in body.segments and body.point(f"{side}_elbow")[1] > height
    }


def _limb_rims(
    body: Body,
    photo_p: np.ndarray,
    labels: np.ndarray,
    person: np.ndarray,
    radius: dict[str, float],
    pad: int,
) -> dict[int, np.ndarray]:
    """Per limb label, [H, W] bool: the torso's pixels along the edge of the limb's far bone (forearm,
    shin) that lack the torso's colour: its lit edge, which the watershed leaves to the torso by a
    pixel or two. Left on the torso, it outlined the forearm on the shirt after the arm moved off the
    chest (the basketball player's, a bright V). Not on the head (a hand beside the face keeps no
    cheek) and not at the limb's root: the neck's skin beside a shoulder going with the arm cost the
    footballer's small face its detections (dance_real's street_full_body face_match_rate 0.71 -> 0.58)."""
    if body.torso is None:
        return {}
    polygon = np.zeros(labels.shape, np.uint8)
    cv2.fillConvexPoly(polygon, np.round((body.torso + pad) * 16).astype(np.int32), 1, cv2.LINE_8, 4)
    polygon = cv2.dilate(polygon, _disk(max(1, round(0.1 * body.scale))))
    if body.head_center is not None:
        centre = np.round(body.head_center + pad).astype(int)
        cv2.circle(polygon, (int(centre[0]), int(centre[1])), max(1, round(body.head_radius)), 0, -1)
    torso = (labels == 0) & person & (polygon > 0)
    if not torso.any():
        return {}
    image = photo_p.astype(np.float32)
    colour = np.median(image[torso], axis=0)
    reach = _disk(max(1, round(0.04 * body.scale)))
    rims = {}
    for k, part in enumerate(body.limb_parts(), start=1):
        bones = body.segments[part]
        if len(bones) < 2:
            continue
        along = draw_segments(bones[-1:], labels.shape, pad, thickness=max(1, round(4 * radius[part]))) > 0
        near = torso & along & (cv2.dilate((labels == k).astype(np.uint8), reach) > 0)
        ys, xs = np.nonzero(near)
        unlike = np.linalg.norm(image[ys, xs] - colour, axis=1) > _ALIKE
        rims[k] = np.zeros(labels.shape, bool)
        rims[k][ys[unlike], xs[unlike]] = True
    return rims


def _face_mask(body: Body, shape: tuple[int, int], pad: int) -> np.ndarray:
    """The face outline on the padded canvas (False everywhere without face landmarks)."""
    mask = np.zeros(shape, np.uint8)
    if body.face is not None:
        cv2.fillConvexPoly(mask, np.round((body.face + pad) * 16).astype(np.int32), 255, cv2.LINE_8, 4)
    return mask > 0


def _face_layer(photo_p, alpha_p, face, body: Body, pad: int, step: float, feather: float) -> Layer | None:
    """The whole face, chin included, as a rigid layer of its own moved by the head handle alone.

    In the core the skinning splits the head from the torso by distance: a chin tucked into the
    collar (a head bent forward over the shoulder) is nearer the torso and went with it, so the
    collar was drawn over the mouth. Drawn over the core, this layer keeps the face whole; its
    lower edge is the jaw line, an edge the photo already shows, so no seam appears there. Its
    outline is the texture's alpha, not the mesh: moved rigidly, any grid draws it as sharp."""
    # the mask's soft edge mixes in the background (the door beside the basketball player's face):
    # moved with the head over the torso, it drew a light fringe. The layer ends where the person
    # is solid, its feather in the face's own colours; the torso's layer keeps the soft outline.
    solid = face & (alpha_p >= _SOLID)
    face = solid if solid.any() else face
    cover = face.astype(np.float32)
    if feather > 0:
        cover = np.maximum(cv2.GaussianBlur(cover, (0, 0), sigmaX=feather), cover)
    layer_alpha = alpha_p * cover
    if not (layer_alpha > 0.02).any():
        return None
    rgb = _fill_hidden(photo_p, face, layer_alpha > 0)
    head = [HANDLE_INDEX["head"]] if is_rigged(HANDLES[HANDLE_INDEX["head"]], body.ok) else []
    return _mesh_layer("face", rgb, layer_alpha, body, pad, step, 0.0, head)


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _limb_radius(body: Body, part: str, inside: np.ndarray, pad: int) -> float:
    """The silhouette's half-width along the limb's bones, within anthropometric bounds (an arm
    lying against the torso has no measurable width of its own)."""
    bones = body.segments[part]
    samples = [
        inside[yi, xi]
        for _, a, b in bones
        for t in np.linspace(0.25, 0.75, 5)
        for xi, yi in [np.round(a + t * (b - a) + pad).astype(int)]
        if 0 <= yi < inside.shape[0] and 0 <= xi < inside.shape[1]
    ]
    lo, hi = _RADIUS[part.split("_")[1]]
    r = float(np.median(samples)) if samples else 0.5 * (lo + hi) * body.scale
    length = float(np.mean([np.hypot(*(b - a)) for _, a, b in bones]))
    return max(2.0, min(float(np.clip(r, lo * body.scale, hi * body.scale)), 0.3 * length))


def _hands_joined(body: Body) -> bool:
    """Whether both wrists are seen close together: the hands hold something between them."""
    right, left = body.point("r_wrist"), body.point("l_wrist")
    if right is None or left is None or not {"r_arm", "l_arm"} <= set(body.limb_parts()):
        return False
    return float(np.hypot(*(right - left))) <= _JOINED_HANDS * body.scale


def _reaches(body: Body, holder: str | None) -> dict[str, list]:
    """Each limb's bones with its hand or foot stub (`Body.reach`), but the bones alone for the
    hand that does not keep a held object (its stub would reach into the object)."""
    reaches = {part: body.reach(part) for part in body.limb_parts()}
    if holder is not None:
        other = "l_arm" if holder == "r_arm" else "r_arm"
        reaches[other] = body.segments[other]
    return reaches


#: the person mask's alpha from which a pixel shows the person's own colour, not the background's
_SOLID = 0.9
#: colour distance (RGB) within which a pixel has a forearm's colour
_ALIKE = 30.0
#: wrists closer than this share of the body scale hold something together; the held object's
#: reach around the hands, as a share of the body scale
_JOINED_HANDS, _HELD_REACH = 0.5, 0.6


def _label_parts(
    body: Body, photo_p: np.ndarray, alpha_p: np.ndarray, core_shape: np.ndarray, pad: int, holder: str | None
):
    """Label every canvas pixel 0 = core or 1.. = limb parts (order of body.limb_parts()).

    Seeds: the inner half of each limb's capsule (limbs win over the torso: they are in
    front) and the torso/head shapes shrunk. A seeded watershed on the photo then grows them
    until they meet at image edges, so whatever a limb holds or wears (a sleeve, a helmet
    under the arm) goes with the limb when its outline says so, and otherwise the split falls
    midway, like a nearest-bone rule.

    Where both hands hold one object (a ball in front of the chest), both hand stubs reach into
    it and the watershed splits it between the arms: it tears in two as soon as they part. Then
    `holder`'s hand keeps it: the other hand's stub ends at its wrist, and what lies near the
    hands outside every limb's capsule and the other hand's seeds the holder.
    """
    reaches = _reaches(body, holder)
    shape = alpha_p.shape
    person = alpha_p >= 0.5
    inside = cv2.distanceTransform(person.astype(np.uint8), cv2.DIST_L2, 5)  # depth into the silhouette
    markers = np.zeros(shape, np.int32)
    shrunk = cv2.erode(core_shape.astype(np.uint8), _disk(max(1, round(0.08 * body.scale)))) > 0
    markers[(shrunk if shrunk.any() else core_shape) & person] = 1
    radius: dict[str, float] = {}
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    bones, stubs, wide, stubs_full = {}, {}, {}, {}
    for k, part in enumerate(body.limb_parts(), start=2):
        r = radius[part] = _limb_radius(body, part, inside, pad)
        width = max(1, round(r))
        # not behind the root joint: the shoulder top and the pelvis stay with the torso
        _, root, tip = body.segments[part][0]
        axis = (tip - root) / max(1e-6, float(np.hypot(*(tip - root))))
        ahead = ((xx - pad - root[0]) * axis[0] + (yy - pad - root[1]) * axis[1] > 0.25 * r) & person
        bones[k] = (draw_segments(body.segments[part], shape, pad, thickness=width) > 0) & ahead
        wide[k] = (draw_segments(body.segments[part], shape, pad, thickness=2 * width) > 0) & ahead
        stubs[k] = (draw_segments(reaches[part], shape, pad, thickness=width) > 0) & ahead
        stubs_full[k] = (draw_segments(body.reach(part), shape, pad, thickness=width) > 0) & ahead
        # the torso's seed keeps off the band around the limb: there the photo's own edges
        # decide (an arm lying over the shirt keeps its whole sleeve, not a strip along the bone)
        band = draw_segments(reaches[part], shape, pad, thickness=max(2, round(3.2 * r)))
        markers[(band > 0) & ahead & (markers == 1)] = 0
    # a pixel claimed by two limbs (crossed forearms, a hand over the other arm) is left to the
    # watershed; a limb's bones win over another limb's hand stub
    n_bones = sum(m.astype(np.int32) for m in bones.values()) if bones else 0
    n_stubs = sum(m.astype(np.int32) for m in stubs.values()) if stubs else 0
    for k in bones:
        markers[stubs[k] & (n_stubs == 1) & (n_bones == 0)] = k
    for k in bones:
        markers[bones[k] & (n_bones == 1)] = k
    if holder is not None:
        other = "l_arm" if holder == "r_arm" else "r_arm"
        near = np.zeros(shape, np.uint8)
        centre = np.round((body.point("r_wrist") + body.point("l_wrist")) / 2 + pad).astype(int)
        cv2.circle(near, (int(centre[0]), int(centre[1])), max(1, round(_HELD_REACH * body.scale)), 1, -1)
        # the other hand's fingers (its full stub) are left to the watershed
        fingers = draw_segments(body.reach(other), shape, pad, thickness=2 * max(1, round(radius[other])))
        limbs = np.any(list(wide.values()), axis=0)
        held = (near > 0) & person & ~core_shape & (fingers == 0) & ~limbs & (markers == 0)
        markers[held] = 2 + body.limb_parts().index(holder)
        # but the other hand's own fingers, of its forearm's colour along its stub, go with it
        k = 2 + body.limb_parts().index(other)
        skin = (draw_segments(body.segments[other][-1:], shape, pad, thickness=1) > 0) & (markers == k)
        if skin.any():
            image = photo_p.astype(np.float32)
            like = np.linalg.norm(image - np.median(image[skin], axis=0), axis=2) < _ALIKE
            markers[stubs_full[k] & like & person & (markers == 0)] = k
    # where two limbs cross (their full widths overlap), the one on top in the photo shows its
    # colour there: each pixel goes to the limb whose own colour it has
    n_wide = sum(m.astype(np.int32) for m in wide.values()) if wide else 0
    crossing = (n_wide >= 2) & person if wide else np.zeros(shape, bool)
    if crossing.any():
        photo_f = photo_p.astype(np.float32)
        dist = np.full((len(bones), *shape), np.inf, np.float32)
        for i, k in enumerate(bones):
            mine = bones[k] & (n_bones == 1) & ~crossing
            if mine.any():
                mean = np.median(photo_f[mine], axis=0)
                dist[i] = np.where(wide[k], np.linalg.norm(photo_f - mean, axis=2), np.inf)
        winner = np.array(list(bones))[np.argmin(dist, axis=0)]
        decided = crossing & np.isfinite(dist.min(axis=0))
        markers[decided] = winner[decided]
        markers[_behind(winner, decided, crossing & (n_bones > 0))] = 0
    claims = {k - 2: bones[k] | (wide[k] & crossing) for k in bones}
    if markers.max() <= 1:
        return np.zeros(shape, np.int32), radius, {}
    # the background is a basin of its own, so no part reaches another by flooding around
    # the silhouette through a wall that happens to match its colour
    background = len(radius) + 2
    markers[(alpha_p < 0.05) & (markers == 0)] = background
    cv2.watershed(np.ascontiguousarray(photo_p), markers)
    # background, dividing lines (-1) and unreached pixels take the nearest part's label
    part = (markers >= 1) & (markers < background)
    _, nearest = cv2.distanceTransformWithLabels(
        (~part).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    ys, xs = np.nonzero(part)
    lookup = np.zeros(int(nearest.max()) + 1, np.int32)
    lookup[nearest[ys, xs]] = markers[ys, xs]
    labels = np.where(part, markers, lookup[nearest])
    torso = _torso_outline(core_shape, body.scale)
    for k, name in enumerate(body.limb_parts(), start=2):
        if body.segments[name][0][0].endswith("thigh"):
            behind, seat = _pelvis(body, name, radius[name], xx, yy, pad)
            labels[(labels == k) & behind] = 1
            labels[(labels == k) & seat] = 0  # -1 once shifted: in no layer, the background shows
        elif (
            name != holder
            and body.segments[name][0][0].endswith("upper_arm")
            and len(body.segments[name]) > 1
        ):
            # the arm keeping what both hands hold keeps all of it (the ball beside the chin)
            root = (labels == k) & _behind_shoulder(body, name, radius[name], xx, yy, pad)
            # on the torso, the torso's; off it (a loose sleeve's top beside the shoulder), no part's:
            # the torso's, it stuck out of the lowered arm's shoulder as a stub of sleeve
            labels[root & torso] = 1
            labels[root & ~torso] = 0
    return labels - 1, radius, claims


#: Near the shoulder (within _ROOT arm radii along the upper arm from the shoulder joint), an arm's
#: label reaches at most _CAP radii across the bone; past that it is the shoulder's top or the armpit's
#: cloth, see `_behind_shoulder`
_ROOT, _CAP = 3.0, 1.5


def _torso_outline(core_shape: np.ndarray, scale: float) -> np.ndarray:
    """The torso's outline: a little outside the shoulder and hip joints the core shape is drawn on."""
    return cv2.dilate(core_shape.astype(np.uint8), _disk(max(1, round(0.1 * scale)))) > 0


def _behind(winner: np.ndarray, decided: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """[H, W] bool: the pixels of a crossing that the colour rule gave to the limb behind, which are
    left to the watershed. The limb in front is the one whose colour the crossing shows on the bones
    (lines) of both limbs. The basketball player's right forearm lies in front of his left upper arm;
    its shaded edges were nearer the left arm's colour than the lit forearm's, and the left arm took
    0.30 of the forearm's skin over its last 40% before the wrist, which the right arm's layer filled
    with its colours diffused flat (0.09 now: the watershed stops at the forearm's outline)."""
    count, parts = cv2.connectedComponents(decided.astype(np.uint8))
    behind = np.zeros(decided.shape, bool)
    for i in range(1, count):
        zone = parts == i
        shown = winner[zone & lines]
        if shown.size:
            limbs, votes = np.unique(shown, return_counts=True)
            behind |= zone & (winner != limbs[np.argmax(votes)])
    return behind


def _behind_shoulder(body: Body, part: str, r: float, xx: np.ndarray, yy: np.ndarray, pad: int) -> np.ndarray:
    """[H, W] bool: where an arm's label grew behind the shoulder, across it from the upper arm by more
    than the arm's radius (the shoulder's round cap stays with the arm), and nearer the upper arm than
    the forearm and hand (a hand brought up to the face stays the arm's).
    The watershed followed a shirt stripe's edge from the raised sleeve down the torso's side: the
    footballer's arm carried that strip of shirt over his face when it hung down (dance_real's
    street_full_body, where dlib then found no face).
    And near the shoulder, farther across the upper arm than _CAP radii: the shirt's shoulder top
    above a raised arm and the cloth under it. Turned down with the arm, they drew a sleeve as wide
    as a cape, flared out beside the shoulder, where the re-detector put the shoulder and the elbow
    (dance_real's walker_full_body: r_shoulder PCK 0.54, r_elbow 0.38)."""
    _, root, tip = body.segments[part][0]
    axis = (tip - root) / max(1e-6, float(np.hypot(*(tip - root))))
    along = (xx - pad - root[0]) * axis[0] + (yy - pad - root[1]) * axis[1]
    across = np.abs((xx - pad - root[0]) * axis[1] - (yy - pad - root[1]) * axis[0])
    behind = (along < -r) | ((along < _ROOT * r) & (across > _CAP * r))
    upper = distance_to(draw_segments(body.segments[part][:1], xx.shape, pad) > 0)
    rest = distance_to(draw_segments(body.reach(part)[1:], xx.shape, pad) > 0)
    return behind & (upper < rest)


#: a thigh's pixels farther than this many limb radii from its bones are the pelvis's clothing
_SEAT = 2.0


def _pelvis(body: Body, part: str, r: float, xx: np.ndarray, yy: np.ndarray, pad: int):
    """Where a leg's label grew over the pelvis, [H, W] bool each: (behind the hip, across it from
    the thigh: the torso's; the shorts' seat and crotch beside the thigh, farther from its bones than
    a thigh is wide and nearer the thigh than the shin, so not the foot). The thigh carried these
    round the hip as flaps beside the hips when the target turned it (the footballer's leg, stretched
    sideways in the photo). The seat gets no layer: on the torso it hung below the shorts as a tail
    when the torso turned upright, and where the legs part the photo shows no seat to move."""
    _, root, tip = body.segments[part][0]
    axis = (tip - root) / max(1e-6, float(np.hypot(*(tip - root))))
    behind = (xx - pad - root[0]) * axis[0] + (yy - pad - root[1]) * axis[1] < 0
    shape = xx.shape
    thigh = distance_to(draw_segments(body.segments[part][:1], shape, pad) > 0)
    rest = distance_to(draw_segments(body.reach(part)[1:], shape, pad) > 0)
    return behind, (thigh > _SEAT * r) & (thigh < rest) & ~behind


def _held_object(body: Body, labels: np.ndarray, keeper: str, radius, pad: int):
    """What both hands hold, as labelled with the keeper's arm (labels: -1 off the person): (the
    object: the keeper's pixels off its bones and the torso; where the other hand lay on it, near
    the hands), [H, W] bool each."""
    limbs = body.limb_parts()
    torso = np.zeros(labels.shape, np.uint8)
    if body.torso is not None:
        cv2.fillConvexPoly(torso, np.round((body.torso + pad) * 16).astype(np.int32), 1, cv2.LINE_8, 4)
    width = 2 * max(1, round(radius[keeper]))
    bones = draw_segments(body.segments[keeper], labels.shape, pad, thickness=width) > 0
    thing = (labels == 1 + limbs.index(keeper)) & ~bones & (torso == 0)
    near = np.zeros(labels.shape, np.uint8)
    centre = np.round((body.point("r_wrist") + body.point("l_wrist")) / 2 + pad).astype(int)
    cv2.circle(near, (int(centre[0]), int(centre[1])), max(1, round(_HELD_REACH * body.scale)), 1, -1)
    under = (near > 0) & (torso == 0) & (labels == 1 + limbs.index("l_arm" if keeper == "r_arm" else "r_arm"))
    return thing, under & _enclosed(thing, width)


#: the held object's colour and the background's must differ by this much (RGB) for a pixel's share
#: of each to be told; its rim, where they are told apart, as a share of the body scale
_MATTE_CONTRAST, _MATTE_RIM = 30.0, 0.15
#: how far beyond the mask a held object's motion blur reaches (share of the body scale), and by how
#: much (grey levels) a pixel there must differ from the background to be blur
_MATTE_BLUR, _BLUR_STEP = 0.08, 6.0


def _matte_held(photo_p: np.ndarray, alpha_p: np.ndarray, thing: np.ndarray, scale: float):
    """(photo, alpha, blur) with the held object's rim matted, and its motion blur beyond the mask.
    The person mask took the motion-blurred ball's edge and a lit strip of the door above it as
    solid person: moved with the hand, they drew a pale ghost round the ball. Along the rim, with F
    the object's colour (diffused from its inside) and B the background's (from the pixels well off
    the person): a pixel lighter than both is neither (a lit edge behind the object) and goes, with
    what it cuts off; one between them is their mix (I = a F + (1 - a) B), its alpha at most its
    share a of F and its colour F. Beyond the mask, the pixels near the object unlike B and towards
    F are its blur (`blur`), for the background fill to cover: left on the photo, they drew the
    ball's outline on the door where the ball had been."""
    solid = cv2.distanceTransform((alpha_p >= 0.5).astype(np.uint8), cv2.DIST_L2, 5)
    inside = thing & (solid > _MATTE_RIM * scale)
    # its soft outline too (off the solid person: never another part's own pixels)
    fringe = (cv2.dilate(thing.astype(np.uint8), _disk(3)) > 0) & (alpha_p > 0) & (alpha_p < 0.5)
    rim = (thing & ~inside) | fringe
    if not (rim.any() and inside.any()):
        return photo_p, alpha_p, np.zeros(thing.shape, bool)
    image = photo_p.astype(np.float32)
    fg = pyramid_fill(image, inside.astype(np.float32))
    reach = _disk(max(3, round(_MATTE_BLUR * scale)))
    near = cv2.dilate(thing.astype(np.uint8), reach) > 0
    bg = pyramid_fill(
        image, ((alpha_p < 0.05) & ~(cv2.dilate(near.astype(np.uint8), reach) > 0)).astype(np.float32)
    )
    # towards the object's colour: a lit sign beside the ball is no blur of it
    towards = ((image - bg) * (fg - bg)).sum(axis=2) > 0
    blur = near & (alpha_p < 0.05) & towards & (np.abs(image - bg).mean(axis=2) > _BLUR_STEP)
    span = fg - bg
    power = (span**2).sum(axis=2)
    share = ((image - bg) * span).sum(axis=2) / np.maximum(power, 1e-6)
    lighter = (image - np.maximum(fg, bg)).mean(axis=2) > _MATTE_CONTRAST
    # what stays of the object: no lit pixels, no shreds of rim cut off from its inside by them
    kept = cv2.morphologyEx((thing & ~lighter).astype(np.uint8), cv2.MORPH_OPEN, _disk(2))
    _, pieces = cv2.connectedComponents(kept | inside.astype(np.uint8))
    whole = np.isin(pieces, np.unique(pieces[inside])) & (pieces > 0)
    gone = rim & ~(cv2.dilate(whole.astype(np.uint8), _disk(2)) > 0)
    told = rim & ~gone & (power >= _MATTE_CONTRAST**2) & (share < 1.0)
    alpha, photo = alpha_p.copy(), photo_p.copy()
    alpha[gone] = 0.0
    alpha[told] = np.minimum(alpha[told], np.clip(share[told], 0.0, 1.0))
    photo[told] = np.clip(fg[told] + 0.5, 0, 255).astype(np.uint8)
    return photo, alpha, blur


def _enclosed(mask: np.ndarray, reach: int) -> np.ndarray:
    """Pixels with `mask` within `reach` on both sides, left and right or above and below: a
    hand lying on a ball, not one beside it."""
    m, n = mask.astype(np.uint8), reach + 1

    def side(shape: tuple[int, int], anchor: tuple[int, int]) -> np.ndarray:
        return cv2.dilate(m, np.ones(shape, np.uint8), anchor=anchor) > 0

    across = side((1, n), (0, 0)) & side((1, n), (reach, 0))
    return across | (side((n, 1), (0, 0)) & side((n, 1), (0, reach)))


def _under_other_limb(body: Body, part: str, own: np.ndarray, claim: np.ndarray, pad: int) -> np.ndarray:
    """[H, W] bool: where another limb hid this one (`claim`: the other limb's pixels over this one's
    bones), as wide as this limb shows itself, not as the silhouette around it: the basketball player's
    right forearm, measured on his chest at the arm's widest, got a flat pale band 1.5 times its width
    where his left hand had lain over it, a club at the wrist when it hung down. What this limb's own
    pixels enclose stays its own (no hole where the other hand lay), and so does the claim around a
    bit of it the width would cut off (a fingertip off the hand)."""
    if not claim.any():
        return claim
    depth = cv2.distanceTransform(own.astype(np.uint8), cv2.DIST_L2, 5)
    shown = _limb_radius(body, part, depth, pad)
    hidden = claim & (distance_to(draw_segments(body.reach(part), claim.shape, pad) > 0) <= shown)
    return hidden | (claim & (_holes(own | hidden) | _near_loose(own | hidden, round(shown))))


#: the blur (sigma, share of the limb's half-width) that smooths a limb layer's outline
_OUTLINE_BLUR = 0.5


def _smooth_outline(
    own: np.ndarray, hidden: np.ndarray, others: np.ndarray, claim: np.ndarray, radius: float
) -> tuple[np.ndarray, np.ndarray]:
    """(own, hidden) of a limb with its outline smoothed (blurred, cut at half) where it meets another
    limb (`others`). The watershed's edge against the other hand and the zone that hand hid ran a few
    pixels in and out: turned with the limb, the basketball player's hanging right forearm showed it as
    a torn, ragged strip. Spurs go (filled under it); notches are filled, as hidden where the other limb
    lay on this one's bones (`claim`: its colours diffused in), else with the photo's pixels. Against
    the torso and the background the outline stays the photo's: unmoved, the photo shows."""
    shape = own | hidden
    smooth = cv2.GaussianBlur(shape.astype(np.float32), (0, 0), sigmaX=_OUTLINE_BLUR * radius) >= 0.5
    near = cv2.dilate(others.astype(np.uint8), _disk(max(1, round(2 * radius)))) > 0
    smooth = np.where(near, smooth, shape)
    notches = smooth & ~shape
    return (own & smooth) | (notches & ~claim), (hidden & smooth) | (notches & claim)


#: a piece of a layer under this share of its largest piece is a loose bit of the mask
_LOOSE = 0.02


def _loose_bits(mask: np.ndarray) -> np.ndarray:
    """[H, W] bool: the mask's pieces under _LOOSE of its largest."""
    n, pieces, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
    if n <= 2:
        return np.zeros(mask.shape, bool)
    areas = stats[1:, cv2.CC_STAT_AREA]
    return np.isin(pieces, 1 + np.nonzero(areas < _LOOSE * areas.max())[0])


def _near_loose(mask: np.ndarray, reach: int) -> np.ndarray:
    """[H, W] bool: within `reach` of the mask's pieces other than its largest."""
    n, pieces, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8))
    if n <= 2:
        return np.zeros(mask.shape, bool)
    loose = (pieces > 0) & (pieces != 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA])))
    return cv2.dilate(loose.astype(np.uint8), _disk(max(1, reach))) > 0


def _holes(mask: np.ndarray) -> np.ndarray:
    """[H, W] bool: the pixels a mask encloses (not reached from the canvas border)."""
    reached = np.pad(mask.astype(np.uint8), 1)
    cv2.floodFill(reached, None, (0, 0), 1)
    return reached[1:-1, 1:-1] == 0


def _fill_hidden(photo_p: np.ndarray, known: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Core texture: where a limb hid the torso, torso colours diffused from around it (limb
    colours must not stay behind on the torso when the limb moves away)."""
    if not hidden.any():
        return photo_p
    filled = pyramid_fill(photo_p.astype(np.float32), known.astype(np.float32))
    out = photo_p.copy()
    out[hidden & ~known] = np.clip(filled[hidden & ~known] + 0.5, 0, 255).astype(np.uint8)
    return out


#: chromaticity distance (r, g, b shares of their sum) within which a pixel is the torso's cloth
_CLOTH_HUE = 0.12
#: around a hidden part, this many pixels of the torso tell its cloth's hue
_CLOTH_RIM = 6


def _texture_hidden(rgb_p: np.ndarray, known: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """The torso under a limb with its cloth's own texture, copied from the torso along the diffused
    colours (`_fill_hidden`), not the diffusion alone: that mixed in the collar, the shadows and the
    arm's dark edge, and where the astronaut's forearm had lain across her suit, moving it uncovered
    a flat brownish block (the demo's bottom-left corner)."""
    if not hidden.any() or not known.any():
        return rgb_p
    # copied only from cloth of the hue around the hidden part (whatever its shading): a copied
    # mission patch or strap drew a second one on the suit
    image = rgb_p.astype(np.float32) + 1.0
    hue = image / image.sum(axis=2, keepdims=True)
    around = known & (cv2.dilate(hidden.astype(np.uint8), _disk(_CLOTH_RIM)) > 0)
    if not around.any():
        return rgb_p
    cloth = known & (np.abs(hue - np.median(hue[around], axis=0)).max(axis=2) < _CLOTH_HUE)
    cloth = cv2.erode(cloth.astype(np.uint8), _disk(1)) > 0  # not the anti-aliased rims of a patch
    if not cloth.any():
        return rgb_p
    ys, xs = np.nonzero(hidden | cloth)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = np.ascontiguousarray(rgb_p[y0:y1, x0:x1])
    filled = exemplar_fill(crop, ~cloth[y0:y1, x0:x1], crop)
    out = rgb_p.copy()
    inside = hidden[y0:y1, x0:x1]
    out[y0:y1, x0:x1][inside] = filled[inside]
    return out


def _layer_handles(part: str, body: Body) -> list[int]:
    """The rigged handles of this layer. A limb is not blended with the torso at its root: its
    first bone already turns about the shoulder or hip, and blending there only crumples the
    top of a raised arm; the layer order hides the seam instead."""
    return [i for i, h in enumerate(HANDLES) if h.part == part and is_rigged(h, body.ok)]


#: Where the head handle's shape ends down the neck, as a share of the way from the neck joint to the
#: nose: about the collar. The neck's skin goes with the head, and the torso and head are blended
#: below it, in the shirt. Blended over the neck, a side-view driver setting the frontal head 40-50 px
#: beside the neck sheared the basketball player's neck, a short pale band under his chin, into a
#: white line from the chin to the shoulder (dance_real's walker_arms_front). Not on a portrait (no
#: hips shown): its head swings at most skeleton._NECK_BEND about the neck, whose long blend zone
#: shears little, and moved with the head Grace Hopper's collar lost its white V. Nor where the chin
#: reaches the collar (the footballer's, tucked in): there is no neck to carry, only the collar.
_COLLAR = 0.3


def _neck_shown(body: Body) -> bool:
    """Whether the photo shows the hips and a neck between the chin (the face outline's lowest point
    along the neck-to-nose line, or the head disc's) and the collar (_COLLAR of that line)."""
    neck, nose = body.point("neck"), body.point("nose")
    if neck is None or nose is None or not (body.ok[J["r_hip"]] or body.ok[J["l_hip"]]):
        return False
    length = float(np.hypot(*(nose - neck)))
    if length < 1e-6 or body.head_center is None:
        return False
    up = (nose - neck) / length
    if body.face is not None:
        chin = float(((body.face - neck) @ up).min())
    else:
        chin = float((body.head_center - neck) @ up) - body.head_radius
    return chin > _COLLAR * length


def _handle_distance(index: int, body: Body, shape, pad: int) -> np.ndarray:
    """Distance of every canvas pixel to the shape a handle moves."""
    h = HANDLES[index]
    canvas = np.zeros(shape, np.uint8)
    if h.name == "torso" and body.torso is not None:
        cv2.fillConvexPoly(canvas, np.round((body.torso + pad) * 16).astype(np.int32), 255, cv2.LINE_8, 4)
    elif h.name == "torso" or (h.name == "head" and body.head_center is None):
        neck = body.point("neck") if body.point("neck") is not None else body.head_center
        cv2.circle(
            canvas, (round(neck[0] + pad), round(neck[1] + pad)), max(1, round(0.2 * body.scale)), 255, -1
        )
    elif h.name == "head":
        c = body.head_center + pad
        cv2.circle(canvas, (round(c[0]), round(c[1])), max(1, round(body.head_radius)), 255, -1)
        if _neck_shown(body):
            # and the neck down to the collar: see _COLLAR
            neck, nose = body.point("neck"), body.point("nose")
            collar = neck + _COLLAR * (nose - neck)
            thick = max(1, round(0.5 * body.head_radius))
            canvas |= draw_segments([(h.name, collar, body.head_center)], shape, pad, thickness=thick)
    elif h.kind == "foot":
        canvas = _foot(body, h.joints, shape, pad)
    elif h.name.endswith("shin"):
        # the bone alone: past the ankle lies the foot, moved by a handle of its own
        canvas = draw_segments([(h.name, body.joints[h.joints[0]], body.joints[h.joints[1]])], shape, pad)
    else:
        segs = [s for s in body.reach(h.part) if s[0] == h.name]
        segs = segs or [(h.name, body.joints[h.joints[0]], body.joints[h.joints[1]])]
        canvas = draw_segments(segs, shape, pad)
    return distance_to(canvas)


#: how far from the ankle the foot reaches, as a share of the shin's length
_FOOT_REACH = 0.6


def _foot(body: Body, joints: tuple[int, ...], shape, pad: int) -> np.ndarray:
    """[H, W] bool: past the ankle across the shin's axis and near it, where the foot lies whichever
    way it points (OpenPose-18 has no toe). Skinned to the shin, a foot set on the ground beside a
    slanted shin turned with the shin when the target stood it upright: the footballer's shoe
    pointed at the ground or up in the air, and the re-detector put his ankle 12 px low."""
    knee, ankle = body.joints[joints[0]], body.joints[joints[1]]
    length = float(np.hypot(*(ankle - knee)))
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float32)
    x, y = xx - pad - ankle[0], yy - pad - ankle[1]
    axis = (ankle - knee) / max(1e-6, length)
    return (x * axis[0] + y * axis[1] >= 0) & (np.hypot(x, y) <= _FOOT_REACH * length)


def _mesh_layer(
    part,
    rgb_p,
    alpha_p,
    body: Body,
    pad: int,
    step: float,
    limb_radius: float,
    handles: list[int] | None = None,
) -> Layer | None:
    """A regular triangle grid over the layer's coverage (plus a margin so edges stay inside)."""
    handles = _layer_handles(part, body) if handles is None else handles
    if not handles:
        return None
    shape = alpha_p.shape
    reach = distance_to(alpha_p > 0.004)
    ys, xs = np.nonzero(reach <= 1.5 * step + 1)
    x0, x1 = xs.min(), xs.max()
    y0, y1 = ys.min(), ys.max()
    gx = np.arange(x0, x1 + step, step)
    gy = np.arange(y0, y1 + step, step)
    gxx, gyy = np.meshgrid(gx, gy)
    ix = np.clip(np.round(gxx).astype(int), 0, shape[1] - 1)
    iy = np.clip(np.round(gyy).astype(int), 0, shape[0] - 1)
    active = reach[iy, ix] <= 1.5 * step + 1
    cells = active[:-1, :-1] & active[1:, :-1] & active[:-1, 1:] & active[1:, 1:]
    if not cells.any():
        return None
    rows, cols = gxx.shape
    index = np.arange(rows * cols).reshape(rows, cols)
    cy, cx = np.nonzero(cells)
    a, b = index[cy, cx], index[cy, cx + 1]
    c, d = index[cy + 1, cx], index[cy + 1, cx + 1]
    tris = np.concatenate([np.stack([a, b, d], 1), np.stack([a, d, c], 1)])
    used = np.unique(tris)
    remap = np.full(rows * cols, -1, np.int64)
    remap[used] = np.arange(len(used))
    tris = remap[tris].astype(np.int32)
    canvas_xy = np.stack([gxx.ravel()[used], gyy.ravel()[used]], 1).astype(np.float32)

    # skinning: inverse-distance weights to each handle's shape, sampled at the vertices
    vx = np.clip(np.round(canvas_xy[:, 0]).astype(int), 0, shape[1] - 1)
    vy = np.clip(np.round(canvas_xy[:, 1]).astype(int), 0, shape[0] - 1)
    delta = 0.25 * limb_radius if part != "core" else 0.1 * body.scale
    delta = max(delta, 1.0)
    dist = np.stack([_handle_distance(i, body, shape, pad)[vy, vx] for i in handles], 1)
    weights = (delta / (dist + delta)) ** _POWER.get(part.split("_")[-1], _POWER["core"])
    weights /= weights.sum(1, keepdims=True)

    # crop the texture to what the mesh can sample (+1 px for bilinear taps)
    tx0, ty0 = max(0, int(x0) - 1), max(0, int(y0) - 1)
    tx1 = min(shape[1], int(np.ceil(canvas_xy[:, 0].max())) + 2)
    ty1 = min(shape[0], int(np.ceil(canvas_xy[:, 1].max())) + 2)
    a8 = np.clip(alpha_p * 255 + 0.5, 0, 255).astype(np.uint8)
    texture = np.ascontiguousarray(np.dstack([rgb_p, a8])[ty0:ty1, tx0:tx1])
    origin = np.array([tx0 - pad, ty0 - pad], np.float32)
    vertices = canvas_xy - pad
    tri_src = (vertices[tris] - origin).astype(np.float64)
    # triangles over fully transparent texture cost a fill call per frame and draw nothing
    tris, tri_src = _visible(tris, tri_src, texture[..., 3])
    e1, e2 = tri_src[:, 1] - tri_src[:, 0], tri_src[:, 2] - tri_src[:, 0]
    sign = np.sign(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0])
    # drawing passes: a triangle goes with the handle that moves it most; the head and the
    # distal bones (forearm, shin) are drawn over the rest of their layer
    dominant = np.array(handles)[np.argmax(weights[tris].sum(1), axis=1)]
    front = np.isin(dominant, [HANDLE_INDEX[n] for n in _FRONT])
    passes = [(np.arange(len(tris)), ~front)]
    if front.any() and not front.all():
        passes.append((np.nonzero(front)[0], np.ones(int(front.sum()), bool)))
    return Layer(
        part, texture, origin, vertices, tris, np.array(handles, np.int64), weights.astype(np.float32),
        tri_src, sign, tuple(passes),
    )  # fmt: skip


def _visible(tris: np.ndarray, tri_src: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep triangles whose texture bounding box (+1 px for bilinear taps) has any alpha."""
    h, w = alpha.shape
    integral = cv2.integral((alpha > 0).astype(np.uint8))
    lo = np.clip(np.floor(tri_src.min(1)).astype(int) - 1, 0, [w, h])
    hi = np.clip(np.ceil(tri_src.max(1)).astype(int) + 2, 0, [w, h])
    count = integral[hi[:, 1], hi[:, 0]] - integral[lo[:, 1], hi[:, 0]] - integral[hi[:, 1], lo[:, 0]]
    count += integral[lo[:, 1], lo[:, 0]]
    keep = count > 0
    return tris[keep], tri_src[keep]


#: a limb layer under this share of its bones' expected area moves only a strip of the limb
_MIN_LIMB_AREA = 0.3
_MOVED_JOINTS = {"arm": ("elbow", "wrist"), "leg": ("knee", "ankle")}


def held_joints(rig: Rig, body: Body) -> list[str]:
    """Joints the photo shows but the puppet cannot move: their limb got no layer of its own
    (the mask missed it, or it could not be told from the torso), or only a sliver of one."""
    held = []
    for part in body.limb_parts():
        layer = rig.layers.get(part)
        length = sum(float(np.hypot(*(b - a))) for _, a, b in body.segments[part])
        expected = 2.0 * rig.limb_radius.get(part, 0.0) * length
        area = float((layer.texture[..., 3] >= 128).sum()) if layer is not None else 0.0
        if layer is None or area < _MIN_LIMB_AREA * expected:
            side, kind = part.split("_")
            held += [f"{side}_{j}" for j in _MOVED_JOINTS[kind] if body.point(f"{side}_{j}") is not None]
    return held


#: the guessed forearm of a hidden arm, and the seeds of the body's own pixels: half-widths as shares
#: of the body scale
_HIDDEN_FOREARM, _OWN_ARM = 0.06, 0.2


def held_before_hidden_arm(photo: np.ndarray, alpha: np.ndarray, body: Body, hidden: list[str]) -> np.ndarray:
    """[H, W] bool: the person mask's pixels of what a hidden arm's hand holds in front of it (the
    astronaut's helmet), to be left in the background. The mask takes only a piece of such an object
    (its rest matches the background): moved with the torso while the rest stayed, the helmet tore at
    the mask's edge, and the fill smeared its visor highlight into the gap as a long bar (the demo).
    Left in the photo, the object stays whole where it was, as the still arm holding it would keep it.

    The piece is found as the limbs are (`_label_parts`): a seeded watershed on the photo, with the
    torso, the visible arms and the hidden upper arm seeding the body, and the hidden forearm's guessed
    place (on the object: the detector put the wrist there) and the background seeding the object;
    kept is the object's piece under that forearm, not other bits of the mask the background won."""
    shape = alpha.shape
    if not hidden:
        return np.zeros(shape, bool)
    person = alpha >= 0.5
    guide = np.zeros(shape, bool)
    markers = np.zeros(shape, np.int32)
    core = cv2.erode(draw_core(body, shape, 0), _disk(max(1, round(0.08 * body.scale)))) > 0
    markers[core & person] = 1
    for part in body.limb_parts():
        markers[
            (draw_segments(body.segments[part], shape, 0, thickness=round(_OWN_ARM * body.scale)) > 0)
            & person
        ] = 1
    for part in hidden:
        side = part.split("_")[0]
        shoulder, elbow, wrist = (body.joints[J[f"{side}_{n}"]] for n in ("shoulder", "elbow", "wrist"))
        if not (part.endswith("arm") and np.isfinite([shoulder, elbow, wrist]).all()):
            continue
        width = max(1, round(_HIDDEN_FOREARM * body.scale))
        markers[(draw_segments([("upper", shoulder, elbow)], shape, 0, thickness=width) > 0) & person] = 1
        guide |= (draw_segments([("forearm", elbow, wrist)], shape, 0, thickness=width) > 0) & person
    if not guide.any():
        return np.zeros(shape, bool)
    markers[guide] = 2
    markers[alpha < 0.05] = 2
    cv2.watershed(np.ascontiguousarray(photo), markers)
    _, pieces = cv2.connectedComponents(((markers == 2) & person).astype(np.uint8))
    held = np.isin(pieces, np.setdiff1d(np.unique(pieces[guide]), [0]))
    return held | (_holes(held) & person)


#: how far from the held piece (a share of its longer side) the rest of its object may reach into
#: the background; the background beyond seeds the background
_OBJECT_REACH = 1.0


def held_object(photo: np.ndarray, held: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """[H, W] bool: the whole object whose piece `held` (see `held_before_hidden_arm`) the mask took,
    as it stands in the background outside `hole`. Only the piece was the person's; the rest (the
    astronaut's helmet beyond her hand) matched the background. The background fill copied that rest
    beside it, so a second dark shell with its highlights stood where her side had been once she
    swayed away (the demo, frames 120-180): the fill must not copy from it.

    A seeded watershed on the photo, as for the piece: the piece seeds the object; the person's hole
    and the background farther than _OBJECT_REACH of the piece's size seed the background, so the
    object ends at its own outline, not in a dark wall of the same colour behind it."""
    seed = held & ~hole
    if not seed.any():
        return np.zeros(held.shape, bool)
    ys, xs = np.nonzero(held)
    reach = _OBJECT_REACH * (max(int(np.ptp(ys)), int(np.ptp(xs))) + 1)
    far = cv2.distanceTransform((~held).astype(np.uint8), cv2.DIST_L2, 5) > reach
    if not (far & ~hole).any():  # no background to tell its outline from: the piece alone
        return seed
    markers = np.zeros(held.shape, np.int32)
    markers[far | hole] = 1
    markers[seed] = 2
    cv2.watershed(np.ascontiguousarray(photo), markers)
    return (markers == 2) & ~hole
