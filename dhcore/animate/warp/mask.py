"""The person's soft alpha mask in the cover-fitted photo.

MediaPipe Pose's segmentation and its selfie segmentation (bundled models, no download) give
blurry probabilities (`person_probability` combines them): good at "where is a person", poor
at edges and at thin limbs seen edge-on (the selfie model also smears over the ground below a
full-body person, and half-misses drawn or unusual figures). So they only seed GrabCut, together with a prior
drawn from the reference skeleton: the bone lines are certainly the person and the space
far from both the skeleton and the segmentation is certainly not. GrabCut then decides the
uncertain band from the photo's own colours, and a guided filter (the photo as guide) turns
the hard result into a soft alpha that follows hair and clothing edges.
"""

from __future__ import annotations

import cv2
import numpy as np

from dhcore.animate.warp.body import Body, distance_to, draw_core, draw_segments

#: GrabCut runs at this many pixels along the longer side (its cost grows with the pixel count).
_GRABCUT_SIDE = 512
#: segmentation probability under which a pixel is surely background for the segmenters
_DOUBT = 0.3
#: a limb's widest half-width (loose sleeve, shoe) as a share of the body scale, and how far (share of
#: the longer side) GrabCut may move the segmentation's edge
_LIMB_WIDTH, _EDGE = 0.22, 0.01


def selfie_segmentation(photo: np.ndarray) -> np.ndarray:
    """Person probability [H, W] float32 from MediaPipe's general (256x256) selfie model."""
    import mediapipe as mp  # imported here: ~1 s, and only a run needs it, not the backend registry

    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=0) as seg:
        result = seg.process(np.ascontiguousarray(photo))
    prob = result.segmentation_mask
    if prob is None:
        return np.zeros(photo.shape[:2], np.float32)
    return np.clip(prob.astype(np.float32), 0.0, 1.0)


def pose_segmentation(photo: np.ndarray) -> np.ndarray | None:
    """Person probability [H, W] float32 from MediaPipe Pose's segmentation (the bundled
    model_complexity=1 graph), or None when it finds no body. Trained on whole bodies, it keeps
    legs, shoes and a kicked-out foot, where the selfie model smears over the grass below them."""
    import mediapipe as mp

    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1, enable_segmentation=True) as pose:
        result = pose.process(np.ascontiguousarray(photo))
    if result.segmentation_mask is None:
        return None
    return np.clip(result.segmentation_mask.astype(np.float32), 0.0, 1.0)


def person_probability(photo: np.ndarray, body: Body, sure: np.ndarray) -> np.ndarray:
    """Pose segmentation where it segmented this skeleton's person (in a group photo it may
    have picked another), widened by the selfie model only close to its outline (hair, loose
    clothing at the edge); the selfie model alone otherwise."""
    selfie = selfie_segmentation(photo)
    pose = pose_segmentation(photo)
    if pose is None or not sure.any() or float((pose[sure] >= 0.5).mean()) < 0.6:
        return selfie
    close = distance_to(pose >= 0.3) <= max(2.0, 0.08 * body.scale)
    return np.maximum(pose, np.where(close, selfie, 0.0))


def skeleton_prior(body: Body, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sure, near, inside): thin bone lines and a shrunken core that are surely the person; the band
    around the skeleton where the person may be; the body's own shape (torso, head, limbs as wide
    as a limb gets), where GrabCut may add what the segmentation doubted."""
    segments = [s for part in body.limb_parts() for s in body.segments[part]]
    thin = max(2, round(0.03 * body.scale))
    sure = draw_segments(segments, shape, 0, thin) > 0
    core = draw_core(body, shape, 0, grow=0.5) > 0
    inner = cv2.erode(
        core.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=max(1, round(0.05 * body.scale))
    )
    sure |= inner > 0
    reach = [s for part in body.limb_parts() for s in body.reach(part)]
    bones = distance_to(draw_segments(reach, shape, 0))
    torso_head = draw_core(body, shape, 0) > 0
    near = (bones < 0.3 * body.scale) | torso_head
    inside = (bones < _LIMB_WIDTH * body.scale) | torso_head
    return sure, near, inside


def refine(
    photo: np.ndarray,
    prob: np.ndarray,
    sure: np.ndarray,
    near: np.ndarray,
    inside: np.ndarray,
    grabcut: bool,
) -> np.ndarray:
    """Hard person mask (bool [H, W]) from segmentation, skeleton prior and (optionally) GrabCut.

    GrabCut adds what the segmentation doubted only within `inside` (the body's shape) or along the
    segmentation's own edge: judged by colour alone it took the red and white flag stripes beside a
    portrait's shoulder for the person (her shirt is white, her ribbons red), and they moved with her."""
    h, w = prob.shape
    hard = (prob >= 0.5) | sure
    if grabcut:
        factor = min(1.0, _GRABCUT_SIDE / max(h, w))
        size = (max(16, round(w * factor)), max(16, round(h * factor)))
        small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA)

        def down(m: np.ndarray) -> np.ndarray:
            return cv2.resize(m.astype(np.float32), size, interpolation=cv2.INTER_AREA)

        p, s, n = down(prob), down(sure) > 0.01, down(near) > 0.5
        far = distance_to((p >= 0.3) | n) > 0.02 * max(size)
        trimap = np.full(p.shape, cv2.GC_PR_BGD, np.uint8)
        # the skeleton's band seeds the person only where the segmentation has any doubt: where it is
        # sure of background (the flag beside a portrait's shoulder, under a guessed elbow's band),
        # seeded as person it taught GrabCut the flag's colours as the person's, and it stayed
        trimap[(p >= 0.5) | (n & (p >= _DOUBT))] = cv2.GC_PR_FGD
        trimap[far] = cv2.GC_BGD
        trimap[s | (cv2.erode((p >= 0.95).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)] = cv2.GC_FGD
        has_bg = (trimap == cv2.GC_BGD).any() | (trimap == cv2.GC_PR_BGD).any()
        if has_bg and (trimap == cv2.GC_FGD).any():
            cv2.setRNGSeed(0)  # GrabCut seeds its colour models with k-means: keep runs identical
            bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
            cv2.grabCut(small, trimap, None, bgd, fgd, 3, cv2.GC_INIT_WITH_MASK)
            fg = ((trimap == cv2.GC_FGD) | (trimap == cv2.GC_PR_FGD)).astype(np.float32)
            hard = cv2.resize(fg, (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
            edge = max(1, round(_EDGE * max(h, w)))
            hard &= inside | (cv2.dilate((prob >= 0.5).astype(np.uint8), _square(edge)) > 0)
            hard |= sure
    return _clean(hard, sure)


def _clean(hard: np.ndarray, sure: np.ndarray) -> np.ndarray:
    """Keep the pieces attached to the skeleton; close pinholes."""
    k = np.ones((3, 3), np.uint8)
    m = cv2.morphologyEx(hard.astype(np.uint8), cv2.MORPH_OPEN, k)
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, k) | sure.astype(np.uint8)
    count, labels = cv2.connectedComponents(m, connectivity=8)
    keep = np.zeros(count, bool)
    keep[np.unique(labels[sure & (m > 0)])] = True
    keep[0] = False
    m = keep[labels]
    # fill holes that do not touch the border (e.g. a logo the segmenter doubted)
    inv = (~m).astype(np.uint8)
    count, labels = cv2.connectedComponents(inv, connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    outside = np.isin(labels, border) & (inv > 0)
    return m | ~outside


def soft_alpha(photo: np.ndarray, hard: np.ndarray, radius: int) -> np.ndarray:
    """Edge-aware soft alpha [H, W] float32 in [0, 1] from a hard mask (guided filter).

    The soft transition is confined to a couple of pixels around the hard edge: a wider one
    leaves a faint halo of background around each limb, and that halo would travel with it.
    """
    src = hard.astype(np.float32)
    if radius <= 0:
        return src
    alpha = cv2.ximgproc.guidedFilter(photo, src, radius, (0.04 * 255) ** 2, -1)
    k = np.ones((5, 5), np.uint8)
    outer = cv2.dilate(hard.astype(np.uint8), k) > 0
    inner = cv2.erode(hard.astype(np.uint8), k) > 0
    alpha = np.clip(alpha, 0.0, 1.0) * outer
    alpha[inner] = 1.0
    alpha[alpha < 0.04] = 0.0
    alpha[alpha > 0.96] = 1.0
    return alpha.astype(np.float32)


def person_alpha(photo: np.ndarray, body: Body, grabcut: bool, edge_radius: int) -> np.ndarray:
    sure, near, inside = skeleton_prior(body, photo.shape[:2])
    prob = person_probability(photo, body, sure)
    return soft_alpha(photo, refine(photo, prob, sure, near, inside, grabcut), edge_radius)


def _square(r: int) -> np.ndarray:
    return np.ones((2 * r + 1, 2 * r + 1), np.uint8)
