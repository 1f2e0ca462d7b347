"""The puppet's handles and their per-frame 2D transforms (reference pixels -> output pixels).

A handle is either a bone (parent joint -> child joint: rotation about the parent plus a
stretch along the bone, the width kept, so foreshortened limbs get shorter, not thinner) or a
fit over several joints (the head: a similarity, so the face is never sheared and stays
recognisable; the torso: an affine limited in squash, see `torso_fit`), or a foot: moved onto the
target's ankle but turned as the photo has it (the ground's direction does not turn with the shin).
The pelvis is a bone from hip to hip: one affine cannot put both the shoulders and the hips of a
photo whose hip line tilts against its shoulder line (the footballer's tackle) on a walker's.
A handle whose target joints are missing in a frame keeps its last transform *relative to its
parent*, so a lost forearm still follows the upper arm instead of hanging in mid-air; one never
seen follows its parent rigidly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dhcore.pose.bust import LEAN, NECK_BEND
from dhcore.pose.head_only import MAX_ROLL
from dhcore.pose.keypoints import FACE_JOINTS, J


@dataclass(frozen=True)
class Handle:
    name: str
    kind: str  # "fit" | "bone" | "foot"
    joints: tuple[int, ...]  # fit: joints fitted; bone, foot: (parent joint, child joint) of the bone
    parent: str | None
    part: str  # the layer whose mesh it deforms: core | r_arm | l_arm | r_leg | l_leg


def _bone(name: str, a: str, b: str, parent: str, part: str) -> Handle:
    return Handle(name, "bone", (J[a], J[b]), parent, part)


_TORSO = tuple(J[n] for n in ("neck", "r_shoulder", "l_shoulder", "r_hip", "l_hip"))

#: In topological order: a parent always comes before its children.
HANDLES: tuple[Handle, ...] = (
    Handle("torso", "fit", _TORSO, None, "core"),
    Handle("head", "fit", FACE_JOINTS, "torso", "core"),
    _bone("r_clavicle", "neck", "r_shoulder", "torso", "core"),
    _bone("l_clavicle", "neck", "l_shoulder", "torso", "core"),
    # the torso's affine left the footballer's l_hip 5-21 px off the walker's in all 24 frames
    _bone("pelvis", "r_hip", "l_hip", "torso", "core"),
    _bone("r_upper_arm", "r_shoulder", "r_elbow", "r_clavicle", "r_arm"),
    _bone("r_forearm", "r_elbow", "r_wrist", "r_upper_arm", "r_arm"),
    _bone("l_upper_arm", "l_shoulder", "l_elbow", "l_clavicle", "l_arm"),
    _bone("l_forearm", "l_elbow", "l_wrist", "l_upper_arm", "l_arm"),
    _bone("r_thigh", "r_hip", "r_knee", "torso", "r_leg"),
    _bone("r_shin", "r_knee", "r_ankle", "r_thigh", "r_leg"),
    _bone("l_thigh", "l_hip", "l_knee", "torso", "l_leg"),
    _bone("l_shin", "l_knee", "l_ankle", "l_thigh", "l_leg"),
    Handle("r_foot", "foot", (J["r_knee"], J["r_ankle"]), "r_shin", "r_leg"),
    Handle("l_foot", "foot", (J["l_knee"], J["l_ankle"]), "l_shin", "l_leg"),
)
HANDLE_INDEX = {h.name: i for i, h in enumerate(HANDLES)}
LIMB_PARTS = ("r_leg", "l_leg", "r_arm", "l_arm")
#: Scale limits: the aligned target already matches bone lengths, so larger changes are noise.
_FIT_SCALE = {"torso": (0.5, 2.0), "head": (0.8, 1.25)}
#: Rotation limits (degrees): the torso from its pose in the photo, the head from the torso's
#: turn. A torso fitted on shoulders alone turns 180 degrees when a side view swaps their order,
#: and a head on two face points spins freely; no dance needs more than these. A driver seen
#: from the side (its eyes and ears bunched ahead of the neck) fits the head 30-45 degrees off a
#: frontal photo's: dance_real's walkers, whose faces the face detector then missed.
_MAX_TURN = {"torso": 60.0, "head": 30.0}
#: The head's roll limit (degrees) on a photo that shows only a head (cut off at the neck, no torso
#: handle): there is no body under it to turn with, and past this a lone head looks toppled
_HEAD_ONLY_TURN = MAX_ROLL
#: The torso's turn limit (degrees) on a photo cut below the shoulders (no hips shown): a bust leans
#: about as far as a person's shoulders do (dhcore.pose.bust). Following a side-view driver's shoulder
#: line, the portrait turned like a cardboard cut-out, the photo's straight bottom cut running across
#: the canvas (dance_real's walker_half_body: 30-57 degrees in its first 9 frames, the cut up to
#: 150 px above the canvas bottom).
_PORTRAIT_LEAN = LEAN
#: How far (degrees) the head's place may swing about the neck from where the photo has it (turned
#: with the torso), on a head-and-shoulders photo (no hips shown). A driver seen from the side has
#: its face well ahead of its neck; on a frontal portrait that set the head beside the neck, over one
#: shoulder, the other shoulder a flat shelf beside it (dance_real's walker_half_body: 50-60 degrees;
#: 30 left the shelf). A full-body photo is not limited: its head is a small part of the picture, and
#: limited it missed the target's face points (walker_full_body pose_pck 0.66 -> 0.52).
_NECK_BEND = NECK_BEND
#: The torso's narrower stretch at least this share of its wider one (an affine fit's singular
#: values). A similarity left the footballer's l_hip 11 px and his shoulders 12-15 px off a walker
#: seen from the side, whose torso is narrower than the frontal photo's; unlimited, a target seen
#: edge-on would squash the torso flat. The fit weighs all five joints alike: the hips weighed
#: double, the street walker's re-detected person fell in two pieces in 2 of 24 frames
#: (dance_real's street_full_body body_integrity 1.00 -> 0.92).
_TORSO_SQUASH = 0.75
#: The photo's torso joints span too little to fix an affine where their spread (variance) across
#: their main direction is under 1/_FLAT of that along it
_FLAT = 100.0
#: The head's narrowest drawn width across the face, as a share of the photo's (`Poser._foreshorten`):
#: 0.6 cost the basketball player's face its match in 3 of 24 frames (walker_arms_front
#: face_match_rate 1.00 -> 0.88); a head turned to profile is about this narrow a frontal face drawn
_HEAD_SQUASH = 0.75
_BONE_STRETCH = (0.25, 2.5)
#: How far (degrees) the shin may turn from the photo's before the foot turns with it
_ANKLE_TURN = 45.0

IDENTITY = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The 2x3 affine x -> a(b(x))."""
    return np.concatenate([a[:, :2] @ b[:, :2], (a[:, :2] @ b[:, 2] + a[:, 2])[:, None]], axis=1)


def invert(a: np.ndarray) -> np.ndarray:
    """Inverse of an invertible 2x3 affine (closed form: np.linalg.inv costs 10x more here)."""
    (p, q), (r, s) = a[0, :2], a[1, :2]
    det = p * s - q * r
    lin = np.array([[s, -q], [-r, p]]) / det
    return np.concatenate([lin, (-lin @ a[:, 2])[:, None]], axis=1)


def similarity_fit(src: np.ndarray, dst: np.ndarray, scale_range: tuple[float, float]) -> np.ndarray:
    """Least-squares rotation + uniform scale + translation (Umeyama) from src to dst points [k, 2].

    One point gives a pure translation; the scale is clamped, the rotation never reflects.
    """
    mu_s, mu_d = src.mean(0), dst.mean(0)
    if len(src) == 1:
        return np.concatenate([np.eye(2), (mu_d - mu_s)[:, None]], axis=1)
    s, d = src - mu_s, dst - mu_d
    var = float((s**2).sum())
    if var < 1e-9:
        return np.concatenate([np.eye(2), (mu_d - mu_s)[:, None]], axis=1)
    # complex-number form of the 2D Procrustes problem: z_d ~ c * z_s with c = scale * e^(i angle)
    zs, zd = s[:, 0] + 1j * s[:, 1], d[:, 0] + 1j * d[:, 1]
    c = complex((np.conj(zs) * zd).sum() / var)
    scale = float(np.clip(abs(c), *scale_range)) if abs(c) > 1e-9 else 1.0
    angle = float(np.angle(c))
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return np.concatenate([rot, (mu_d - rot @ mu_s)[:, None]], axis=1)


def bone_transform(p: np.ndarray, c: np.ndarray, p2: np.ndarray, c2: np.ndarray) -> np.ndarray | None:
    """Rotate the bone p->c onto p2->c2 and stretch it along its axis only (width kept)."""
    v, v2 = c - p, c2 - p2
    n, n2 = float(np.hypot(*v)), float(np.hypot(*v2))
    if n < 1e-6 or n2 < 1e-6:
        return None
    u, u2 = v / n, v2 / n2
    stretch = float(np.clip(n2 / n, *_BONE_STRETCH))
    perp, perp2 = np.array([-u[1], u[0]]), np.array([-u2[1], u2[0]])
    lin = stretch * np.outer(u2, u) + np.outer(perp2, perp)
    return np.concatenate([lin, (p2 - lin @ p)[:, None]], axis=1)


def foot_transform(joints, ref: np.ndarray, ref_ok: np.ndarray, tgt: np.ndarray, tgt_ok: np.ndarray):
    """The foot onto the target's ankle, turned as the photo has it against the ground, as far as
    the shin's turn allows: a foot that kept its angle to the ground whatever the shin did bent the
    ankle past what an ankle bends (the footballer's planted foot under a shin turned 70 degrees)."""
    knee, ankle = joints
    if not (ref_ok[ankle] and tgt_ok[ankle]):
        return None
    turn = 0.0
    if ref_ok[knee] and tgt_ok[knee]:
        v, v2 = ref[ankle] - ref[knee], tgt[ankle] - tgt[knee]
        shin = (float(np.arctan2(v2[1], v2[0]) - np.arctan2(v[1], v[0])) + np.pi) % (2 * np.pi) - np.pi
        limit = np.deg2rad(_ANKLE_TURN)
        turn = shin - float(np.clip(shin, -limit, limit))
    rot = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    return np.concatenate([rot, (tgt[ankle] - rot @ ref[ankle])[:, None]], axis=1)


def turn_of(a: np.ndarray) -> float:
    """The rotation angle (radians) of a similarity's linear part; of an affine's, the rotation of
    its polar decomposition (rotation times a symmetric stretch)."""
    return float(np.arctan2(a[1, 0] - a[0, 1], a[0, 0] + a[1, 1]))


def torso_fit(
    src: np.ndarray, dst: np.ndarray, base: float, scale_range: tuple[float, float]
) -> np.ndarray | None:
    """Least-squares affine from src to dst points [k, 2], as rotation times stretch with the
    rotation held within _MAX_TURN of `base`, the stretches within `scale_range` and the narrower at
    least _TORSO_SQUASH of the wider: the target's torso proportions, as far as a torso can take
    them unsheared. None where the points do not fix an affine (fewer than 3, or nearly in a line:
    a portrait's neck and shoulders, whose few pixels of neck height would set the torso's whole
    vertical stretch) or it would mirror the torso."""
    if len(src) < 3:
        return None
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    gram = s.T @ s
    if np.linalg.cond(gram) > _FLAT:
        return None
    lin = np.linalg.solve(gram, s.T @ d).T
    u, sv, vt = np.linalg.svd(lin)
    if np.linalg.det(lin) <= 0:
        return None
    rot = u @ vt  # the polar decomposition lin = rot @ (vt.T diag(sv) vt)
    angle = float(np.arctan2(rot[1, 0], rot[0, 0]))
    delta = (angle - base + np.pi) % (2 * np.pi) - np.pi
    limit = np.deg2rad(_MAX_TURN["torso"])
    angle = base + float(np.clip(delta, -limit, limit))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    sv = np.clip(sv, *scale_range)
    sv = np.maximum(sv, _TORSO_SQUASH * sv.max())
    lin = rot @ (vt.T @ np.diag(sv) @ vt)
    return np.concatenate([lin, (mu_d - lin @ mu_s)[:, None]], axis=1)


def limit_turn(fit: np.ndarray, centre: np.ndarray, base: float, max_deg: float) -> np.ndarray:
    """The similarity with its rotation clamped to base +- max_deg, `centre` still mapped where
    the fit maps it (the handle keeps its place, only its turn is limited)."""
    angle = turn_of(fit)
    delta = (angle - base + np.pi) % (2 * np.pi) - np.pi
    limit = np.deg2rad(max_deg)
    if abs(delta) <= limit + 1e-9:  # the torso's affine, already limited, stays one
        return fit
    return _with_turn(fit, centre, base + float(np.clip(delta, -limit, limit)), _scale_of(fit))


def is_rigged(handle: Handle, ref_ok: np.ndarray) -> bool:
    """Whether the reference photo shows what this handle moves (legs of a portrait do not)."""
    if handle.kind in ("bone", "foot"):
        return bool(ref_ok[handle.joints[0]] and ref_ok[handle.joints[1]])
    return bool(any(ref_ok[j] for j in handle.joints)) or (handle.name == "head" and bool(ref_ok[J["neck"]]))


def fitted_joints(handle: Handle, ref_ok: np.ndarray, tgt_ok: np.ndarray) -> list[int]:
    """The joints a fitted handle's similarity is computed from this frame."""
    both = [j for j in handle.joints if ref_ok[j] and tgt_ok[j]]
    if handle.name == "head" and len(both) < 2 and ref_ok[J["neck"]] and tgt_ok[J["neck"]]:
        both.append(J["neck"])  # one face point alone cannot give the head's rotation
    return both


def handle_fit(handle: Handle, ref: np.ndarray, ref_ok: np.ndarray, tgt: np.ndarray, tgt_ok: np.ndarray):
    """This handle's transform for one frame, or None when the target lacks what it needs."""
    if handle.kind == "bone":
        a, b = handle.joints
        if not (ref_ok[a] and ref_ok[b] and tgt_ok[a] and tgt_ok[b]):
            return None
        return bone_transform(ref[a], ref[b], tgt[a], tgt[b])
    if handle.kind == "foot":
        return foot_transform(handle.joints, ref, ref_ok, tgt, tgt_ok)
    both = fitted_joints(handle, ref_ok, tgt_ok)
    if not both:
        return None
    if handle.name == "torso" and {J["r_hip"], J["l_hip"]} <= set(both):
        # without the hips (a portrait), the neck and shoulders lie nearly in a line
        fit = torso_fit(ref[both], tgt[both], 0.0, _FIT_SCALE["torso"])
        if fit is not None:
            return fit
    return similarity_fit(ref[both], tgt[both], _FIT_SCALE[handle.name])


def explained(fit: np.ndarray, src: np.ndarray, dst: np.ndarray) -> float:
    """Share (0..1) of the target points' spread that the fit accounts for (R squared): near 0 when
    no rotation of the photo's points matches the target's, e.g. a frontal face driven by a profile
    (its nose ahead of the eyes and ears), where the fitted angle is noise."""
    if len(src) < 3:
        return 1.0
    spread = float(((dst - dst.mean(0)) ** 2).sum())
    if spread < 1e-9:
        return 1.0
    residual = float(((dst - (src @ fit[:, :2].T + fit[:, 2])) ** 2).sum())
    return float(np.clip(1.0 - residual / spread, 0.0, 1.0))


def toward(fit: np.ndarray, turn: float, centre: np.ndarray, keep: float) -> np.ndarray:
    """The similarity with only `keep` (0..1) of its turn away from `turn`, `centre` still mapped
    where the fit maps it."""
    delta = (turn_of(fit) - turn + np.pi) % (2 * np.pi) - np.pi
    return _with_turn(fit, centre, turn + keep * delta, _scale_of(fit))


def _scale_of(a: np.ndarray) -> float:
    return float(np.hypot(a[0, 0], a[1, 0]))


def _with_turn(fit: np.ndarray, centre: np.ndarray, angle: float, scale: float) -> np.ndarray:
    """A similarity turned by `angle` and scaled by `scale` that maps `centre` where `fit` does."""
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    target = fit[:, :2] @ centre + fit[:, 2]
    return np.concatenate([rot, (target - rot @ centre)[:, None]], axis=1)


class Poser:
    """Turns target joints into one 2x3 transform per handle, frame after frame.

    Stateful on purpose: the fallbacks for missing joints use earlier frames, so frames must
    be fed in order (the backend streams them in order).
    """

    def __init__(self, ref: np.ndarray, ref_ok: np.ndarray, cut: np.ndarray | None = None) -> None:
        """cut: [2, 2] the ends of the line where the photo's bottom edge cuts the person (pixels)."""
        self.ref, self.ref_ok = ref, ref_ok
        self._relative = [IDENTITY.copy() for _ in HANDLES]  # last valid: inv(parent) o self
        self._root = IDENTITY.copy()  # last valid torso transform
        #: the torso's similarity (turn and size, no squash), last valid: what the head's turn and an
        #: unseen arm follow. With the squashed affine's turn the arms-in-front photo's face, turned
        #: with it, was matched in fewer frames (dance_real's walker_arms_front face_match_rate 1.00 -> 0.83).
        self._rigid = IDENTITY.copy()
        self.rigged = np.array([is_rigged(h, ref_ok) for h in HANDLES])
        self._portrait = not (ref_ok[J["r_hip"]] or ref_ok[J["l_hip"]])
        head_only = not self.rigged[HANDLE_INDEX["torso"]]
        self._max_turn = dict(_MAX_TURN, head=_HEAD_ONLY_TURN) if head_only else _MAX_TURN
        self._cut = cut if self._portrait else None
        #: where each fitted handle turns about: the mean of its joints in the photo
        self._centre = [
            np.nan_to_num(ref[[j for j in h.joints if ref_ok[j]] or [J["neck"]]].mean(axis=0))
            for h in HANDLES
        ]

    def __call__(self, tgt: np.ndarray, tgt_ok: np.ndarray) -> tuple[np.ndarray, int]:
        """[n_handles, 2, 3] transforms and how many rigged handles fell back for this frame."""
        out = np.empty((len(HANDLES), 2, 3))
        fallbacks = 0
        for i, h in enumerate(HANDLES):
            fit = handle_fit(h, self.ref, self.ref_ok, tgt, tgt_ok)
            fit = fit if fit is not None and np.isfinite(fit).all() else None
            if fit is not None and h.name in self._max_turn:
                base = 0.0 if h.parent is None else turn_of(self._rigid)
                if h.name == "head":
                    fit = self._head(fit, self._rigid, tgt, tgt_ok)
                fit = limit_turn(fit, self._centre[i], base, self._turn_limit(h.name))
                if h.name == "head" and not self._portrait:
                    fit = self._foreshorten(fit, tgt, tgt_ok)
            if fit is None and self.rigged[i]:
                fallbacks += 1
            if h.parent is None:
                if fit is not None and self._cut is not None:
                    fit = self._rigid = self._above_cut(fit)
                elif fit is not None:
                    self._rigid = self._rigid_torso(tgt, tgt_ok)
                fit = self._root if fit is None else fit
                self._root = out[i] = fit
                continue
            carrier = self._carrier(h, out)
            if fit is None:
                out[i] = compose(carrier, self._relative[i])
            else:
                out[i] = fit
                self._relative[i] = compose(invert(carrier), fit)
        self._on_neck(out)
        return out, fallbacks

    def _carrier(self, h: Handle, out: np.ndarray) -> np.ndarray:
        """What a handle follows where the target lacks it: its parent, but for an upper arm the
        torso's turn, its shoulder kept where the clavicle puts it. A clavicle is short, and a driver
        seen from the side tilts its shoulder line 30-45 degrees: turned with it, an arm the target
        never shows swung the basketball player's ball over his head (dance_real's walker_arms_front)."""
        parent = out[HANDLE_INDEX[h.parent]]
        if not h.parent.endswith("clavicle"):
            return parent
        shoulder, torso = self.ref[h.joints[0]], self._rigid
        placed = parent[:, :2] @ shoulder + parent[:, 2]
        return np.concatenate([torso[:, :2], (placed - torso[:, :2] @ shoulder)[:, None]], axis=1)

    def _rigid_torso(self, tgt: np.ndarray, tgt_ok: np.ndarray) -> np.ndarray:
        """The torso's similarity fit, turned at most _MAX_TURN from the photo's."""
        torso = HANDLE_INDEX["torso"]
        both = fitted_joints(HANDLES[torso], self.ref_ok, tgt_ok)
        fit = similarity_fit(self.ref[both], tgt[both], _FIT_SCALE["torso"])
        return limit_turn(fit, self._centre[torso], 0.0, self._turn_limit("torso"))

    def _turn_limit(self, name: str) -> float:
        return _PORTRAIT_LEAN if name == "torso" and self._portrait else self._max_turn[name]

    def _above_cut(self, fit: np.ndarray) -> np.ndarray:
        """A portrait's torso similarity kept from lifting the photo's bottom cut above where the photo
        has it (the canvas bottom, for a photo that fills the canvas): turned back towards the photo's
        upright as far as needed, then grown about its centre, the neck and shoulders kept in place (a
        side-view driver's narrow shoulder line shrinks the bust: 0.53-0.69 in walker_half_body's
        first frames), then moved down."""
        centre = self._centre[HANDLE_INDEX["torso"]]
        ends = self._cut - centre
        turn, scale = turn_of(fit), _scale_of(fit)
        placed = fit[:, :2] @ centre + fit[:, 2]

        def short(angle: float, size: float) -> float:  # how far (px) the higher end lies above its place
            drop = size * (np.sin(angle) * ends[:, 0] + np.cos(angle) * ends[:, 1])
            return float((self._cut[:, 1] - placed[1] - drop).max())

        for keep in np.linspace(1.0, 0.0, 13):
            if short(keep * turn, scale) <= 1e-6:
                return _with_turn(fit, centre, keep * turn, scale)
        depth = float(ends[:, 1].min())
        if depth > 1e-6:
            needed = (float(self._cut[:, 1].max()) - placed[1]) / depth
            scale = max(scale, min(_FIT_SCALE["torso"][1], needed))
        out = _with_turn(fit, centre, 0.0, scale)
        out[1, 2] += max(0.0, short(0.0, scale))
        return out

    def _on_neck(self, out: np.ndarray) -> None:
        """Moves a portrait's head (in place) so that it swings at most _NECK_BEND about the neck."""
        head, torso, neck = HANDLE_INDEX["head"], HANDLE_INDEX["torso"], J["neck"]
        if not (self._portrait and self.rigged[head] and self.ref_ok[neck]):
            return
        up = out[torso][:, :2] @ (self._centre[head] - self.ref[neck])  # the photo's, turned with the torso
        seen = (
            out[head][:, :2] @ self._centre[head]
            + out[head][:, 2]
            - (out[torso][:, :2] @ self.ref[neck] + out[torso][:, 2])
        )
        length = float(np.hypot(*seen))
        if length < 1e-6 or float(np.hypot(*up)) < 1e-6:
            return
        base = float(np.arctan2(up[1], up[0]))
        delta = (float(np.arctan2(seen[1], seen[0])) - base + np.pi) % (2 * np.pi) - np.pi
        limit = np.deg2rad(_NECK_BEND)
        if abs(delta) <= limit:
            return
        angle = base + float(np.clip(delta, -limit, limit))
        out[head][:, 2] += length * np.array([np.cos(angle), np.sin(angle)]) - seen

    def _foreshorten(self, fit: np.ndarray, tgt: np.ndarray, tgt_ok: np.ndarray) -> np.ndarray:
        """The head's fit narrowed across the face (along the photo's eye line, about the head's
        centre) as far as the target's face points are narrower than the photo's, to at least
        _HEAD_SQUASH: a head turned toward the side, as a side-view driver's is (its face points
        bunched within half a frontal photo's width), is seen foreshortened. Kept at full width, the
        footballer's frontal face put its re-detected right ear 12-15 px off the walker's (dance_real's
        walker_full_body: r_ear PCK 0.33). Not on a head-and-shoulders photo, where the face is most
        of the picture and the face detector must still find it."""
        head = HANDLE_INDEX["head"]
        both = fitted_joints(HANDLES[head], self.ref_ok, tgt_ok)
        if len(both) < 3 or not (self.ref_ok[J["r_eye"]] and self.ref_ok[J["l_eye"]]):
            return fit
        across = self.ref[J["l_eye"]] - self.ref[J["r_eye"]]
        length = float(np.hypot(*across))
        if length < 1e-6:
            return fit
        across = across / length
        moved = fit[:, :2] @ across
        scale = float(np.hypot(*moved))
        photo = float(np.ptp(self.ref[both] @ across)) * scale
        seen = float(np.ptp(tgt[both] @ (moved / max(scale, 1e-9))))
        if photo < 1e-6:
            return fit
        keep = float(np.clip(seen / photo, _HEAD_SQUASH, 1.0))
        centre = self._centre[head]
        squash = np.eye(2) - (1.0 - keep) * np.outer(across, across)
        return compose(fit, np.concatenate([squash, (centre - squash @ centre)[:, None]], axis=1))

    def _head(self, fit: np.ndarray, torso: np.ndarray, tgt: np.ndarray, tgt_ok: np.ndarray) -> np.ndarray:
        """The head's fit with its turn kept as the torso's as far as the face points do not bear
        it out: a frontal photo driven by a profile (its nose ahead of the eyes and ears) otherwise
        rolled the head 30-60 degrees off the body (dance_real's walkers), past what the face
        detector finds. The size stays the fit's: the photo's size instead lifted the walkers'
        faces over the detector's limit but moved the re-detected ears and neck (walker_half_body
        pose_pck 0.87 -> 0.78)."""
        head = HANDLE_INDEX["head"]
        both = fitted_joints(HANDLES[head], self.ref_ok, tgt_ok)
        keep = explained(fit, self.ref[both], tgt[both])
        return toward(fit, turn_of(torso), self._centre[head], keep)
