"""The `warp` animation backend: the embedded CPU default, no weights to download.

Setup once per video (person mask, background fill, layered meshes, skinning), then per
frame only cheap work: one 2x3 transform per handle from the target joints, linear blend
skinning of a few thousand vertices, and one rasterise + remap + blend per layer. That keeps
it well above the 25 frames/s the dance-video line needs at 512x512 on two CPU cores.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import ClassVar, Literal

import cv2
import numpy as np
from pydantic import Field

from dhcore.animate.base import AnimateInputs
from dhcore.animate.warp.body import LIMB_JOINTS, hidden_limbs, measure_body
from dhcore.animate.warp.fill import inpaint, stray_rim
from dhcore.animate.warp.mask import person_alpha
from dhcore.animate.warp.raster import Canvas, skin
from dhcore.animate.warp.rig import Layer, Rig, build_rig, held_before_hidden_arm, held_joints, held_object
from dhcore.animate.warp.skeleton import HANDLE_INDEX, Poser
from dhcore.errors import InputError
from dhcore.media.frames import DEFAULT_CHUNK, FrameWriter
from dhcore.media.geometry import photo_fit
from dhcore.pose.extract import read_image
from dhcore.pose.keypoints import FACE_JOINTS, J, PoseSequence
from dhcore.stage import Output, Progress, StageParams, StageResult, as_params

NAME = "animate.warp"
VERSION = "31"


class WarpParams(StageParams):
    mesh_step: float = Field(
        0.03, ge=0.005, le=0.2, description="mesh grid spacing as a share of the output's longer side"
    )
    grabcut: bool = Field(True, description="refine the segmentation's edges with GrabCut")
    edge_radius: int = Field(4, ge=0, le=32, description="guided-filter radius of the soft mask edge, pixels")
    feather: float = Field(1.5, ge=0, le=16, description="blur of the seams between layers, pixels")
    inpaint: Literal["exemplar", "telea", "ns", "pyramid"] = Field(
        "exemplar", description="how the background behind the person is filled (exemplar: copied texture)"
    )
    confidence: float = Field(0.3, ge=0, le=1, description="joints below this confidence count as missing")
    chunk: int = Field(DEFAULT_CHUNK, ge=1, le=256, description="frames per write")


class WarpBackend:
    """Skinned 2D mesh puppet of the person in the reference photo."""

    name: ClassVar[str] = "warp"
    version: ClassVar[str] = VERSION
    device: ClassVar[str] = "cpu"
    Params: ClassVar[type[StageParams]] = WarpParams

    def model_ids(self, params: StageParams) -> list[str]:
        """None: MediaPipe's selfie segmentation ships inside the mediapipe wheel."""
        return []

    def run(
        self, inputs: AnimateInputs, params: StageParams, out_path: Path, progress: Progress
    ) -> StageResult:
        p = as_params(WarpParams, params)
        started = time.perf_counter()
        target = PoseSequence.load(inputs.target_pose)
        if len(target) == 0:
            raise InputError(f"{inputs.target_pose}: target pose sequence has no frames")
        puppet = Puppet.setup(inputs, p, target)
        if abs(target.aspect - inputs.width / inputs.height) > 0.01:
            puppet.warnings.append(
                f"{inputs.target_pose}: poses are {target.width}x{target.height}, the output "
                f"{inputs.width}x{inputs.height}; coordinates were taken as normalized to the output"
            )
        setup_s = time.perf_counter() - started

        total = len(target)
        fallbacks: list[float | None] = []
        render_started = time.perf_counter()
        with FrameWriter(out_path, inputs.fps, inputs.width, inputs.height) as writer:
            for start in range(0, total, p.chunk):
                chunk = target.body[start : start + p.chunk]
                frames = np.empty((len(chunk), inputs.height, inputs.width, 3), np.uint8)
                for i, joints in enumerate(chunk):
                    depth = None if target.depth is None else target.depth[start + i]
                    fallbacks.append(float(puppet.render(joints, frames[i], depth)))
                writer.write(frames)
                progress(start + len(chunk), total)
        render_s = time.perf_counter() - render_started

        warnings = list(puppet.warnings)
        if any(f for f in fallbacks):
            n = sum(1 for f in fallbacks if f)
            warnings.append(
                f"{n} of {total} frames lacked some target joints; those parts kept their last pose"
            )
        meta = {"width": inputs.width, "height": inputs.height, "fps": str(inputs.fps), "frames": total,
                "held_joints": list(puppet.held)}  # fmt: skip
        return StageResult(
            outputs={"frames": Output(path=Path(out_path), kind="frames", meta=meta)},
            metrics={
                "mask_coverage": puppet.rig.coverage,
                "layers": float(len(puppet.rig.layers)),
                "mesh_vertices": float(sum(len(layer.vertices) for layer in puppet.rig.layers.values())),
                "mesh_triangles": float(sum(len(layer.triangles) for layer in puppet.rig.layers.values())),
                "held_joints": float(len(puppet.held)),
                "setup_seconds": setup_s,
                "render_fps": total / max(render_s, 1e-9),
            },
            series={"fallback_handles": fallbacks},
            frames=total,
            warnings=warnings,
        )


class Puppet:
    """Everything computed once per video, and the per-frame renderer."""

    def __init__(self, background: np.ndarray, rig: Rig, poser: Poser, confidence: float) -> None:
        height, width = background.shape[:2]
        self.background = cv2.cvtColor(background, cv2.COLOR_RGB2RGBA)  # RGBA: see raster.Canvas
        #: where the background is fill (the person's place, padding), not the photo: what metrics.fill judges
        self.filled = np.zeros((height, width), bool)
        self.rig, self.poser, self.confidence = rig, poser, confidence
        self._frame = np.empty((height, width, 4), np.uint8)
        self.width, self.height = width, height
        self.canvas = Canvas(width, height)
        self.warnings: list[str] = []
        self._limbs = [part for part in ("r_leg", "l_leg", "r_arm", "l_arm") if part in rig.layers]
        #: the face drawn over the torso, and again over a limb swung across it
        self._face = rig.layers.get("face") or _face_of(rig.layers.get("core"))
        #: per limb, its vertices inside the person (not the mesh's transparent margin): whether a
        #: limb covers the face is decided on them
        self._solid = {part: _solid(rig.layers[part]) for part in self._limbs}
        self.held: list[str] = []
        #: per arm, how many frames in a row up to now the target has hidden it, and whether it ever showed it
        self._unseen = {part: 0 for part in self._limbs if part.endswith("arm")}
        self._shown: set[str] = set()

    @classmethod
    def setup(cls, inputs: AnimateInputs, p: WarpParams, target: PoseSequence | None = None) -> Puppet:
        if not Path(inputs.reference_image).is_file():
            raise InputError(f"{inputs.reference_image}: reference photo not found")
        photo = read_image(Path(inputs.reference_image))  # decoded as pose.extract decodes it
        ref = PoseSequence.load(inputs.reference_pose)
        if len(ref) == 0:
            raise InputError(f"{inputs.reference_pose}: reference pose has no frames")
        w, h = inputs.width, inputs.height
        fit = photo_fit(photo.shape[1], photo.shape[0], w, h)
        photo = fit.apply(photo)
        joints = fit.to_output_normalized(ref.body[0, :, :2]).astype(np.float64) * (w, h)
        seen = ref.body[0, :, 2]
        ok = (seen >= p.confidence) & np.isfinite(joints).all(axis=1)
        hidden = hidden_limbs(joints, seen, ok, w, h)
        for part in hidden:
            ok[[J[n] for n in LIMB_JOINTS[part]]] = False
        landmarks = None
        if (ref.face[0, :, 2] >= p.confidence).all():
            landmarks = fit.to_output_normalized(ref.face[0, :, :2]).astype(np.float64) * (w, h)
        try:
            body = measure_body(joints, ok, max(w, h), landmarks)
        except InputError as exc:
            raise InputError(f"{inputs.reference_pose}: {exc}") from exc
        scale = max(w, h) / 512
        alpha = person_alpha(photo, body, p.grabcut, round(p.edge_radius * scale))
        alpha[fit.padding()] = 0.0  # replicated edge pixels are not the person
        # what a hidden arm holds in front of it stays in the photo, whole (see held_before_hidden_arm)
        held = held_before_hidden_arm(photo, alpha, body, list(hidden))
        if held.any():
            grown = cv2.dilate(
                held.astype(np.uint8),
                np.ones((3, 3), np.uint8),
                iterations=max(1, round(p.edge_radius * scale)),
            )
            alpha[((grown > 0) & (alpha < 0.5)) | held] = 0.0  # and its soft rim
        if not (alpha >= 0.5).any():
            raise InputError(f"{inputs.reference_image}: no person found in the reference photo")
        holder = _steadier_arm(joints, ok, target, p.confidence, (w, h))
        rig = build_rig(photo, alpha, body, max(2.0, p.mesh_step * max(w, h)), p.feather * scale, holder)
        # the rig's alpha: a lit strip of the door the mask took with the held ball stays in the background
        hole = cv2.dilate(
            (rig.alpha > 0.02).astype(np.uint8), np.ones((5, 5), np.uint8), iterations=max(1, round(scale))
        )
        filled = (hole > 0) | fit.padding()
        filled |= stray_rim(photo, filled, (alpha > 0.02) & (rig.alpha <= 0.02))
        # the rest of what the hidden arm holds stands beside the hole: the fill must not copy it there
        background = inpaint(photo, filled, p.inpaint, held_object(photo, held, filled))
        puppet = cls(background, rig, Poser(joints, ok, _bottom_cut(alpha, fit.padding())), p.confidence)
        puppet.filled = filled
        if fit.padded:
            puppet.warnings.append(
                f"{inputs.reference_image}: the photo ({fit.src_w}x{fit.src_h}) has another aspect than the "
                f"{w}x{h} output; it is shown whole, the rest of the frame filled with background"
            )
        puppet.held = held_joints(rig, body)
        missing = [n for n in LIMB_JOINTS if n not in body.limb_parts() and n not in hidden]
        if missing:
            puppet.warnings.append(
                f"not visible in the reference photo, so not animated: {', '.join(missing)}"
            )
        if puppet.held:
            puppet.warnings.append(
                f"{inputs.reference_image}: could not cut these joints' limbs out of the photo, so they are "
                f"held still: {', '.join(puppet.held)}"
            )
        if hidden:
            guessed = [n for names in hidden.values() for n in names]
            puppet.warnings.append(
                f"{inputs.reference_image}: the photo more likely hides than shows these joints ("
                + ", ".join(f"{n} seen with {seen[J[n]]:.2f}" for n in guessed)
                + f"; e.g. behind something held), so their limbs are held still: {', '.join(hidden)}"
            )
            puppet.held += guessed
        if len(ref) > 1:
            puppet.warnings.append(f"{inputs.reference_pose}: {len(ref)} frames, used the first")
        return puppet

    def render(self, body: np.ndarray, out: np.ndarray, depth: np.ndarray | None = None) -> int:
        """Draw one frame for target joints body [18, 3] (normalized output coords) into out;
        depth [18] (the driver's, optional) orders the limb layers."""
        tgt = body[:, :2].astype(np.float64) * (self.width, self.height)
        ok = (body[:, 2] >= self.confidence) & np.isfinite(tgt).all(axis=1)
        transforms, fallbacks = self.poser(np.nan_to_num(tgt), ok)
        frame = self._frame
        frame[...] = self.background
        order = self._limb_order(tgt, ok, depth)
        behind = self._behind(order, ok)
        for part in behind:
            self.canvas.draw(frame, self.rig.layers[part], skin(self.rig.layers[part], transforms))
        core = self.rig.layers.get("core")
        deformed = None if core is None else skin(core, transforms)
        if core is not None:
            self.canvas.draw(frame, core, deformed)
        face_moved = deformed  # the core's own head triangles, unless the face is a layer of its own
        if self._face is not None and self._face.part == "face":
            face_moved = skin(self._face, transforms)
            self.canvas.draw(frame, self._face, face_moved)
        face = None if self._face is None or _arm_before_face(depth, ok) else _face_box(tgt, ok)
        covered = False
        for part in (part for part in order if part not in behind):
            layer = self.rig.layers[part]
            moved = skin(layer, transforms)
            self.canvas.draw(frame, layer, moved)
            if face is not None and not covered:
                inside = moved[self._solid[part]]
                covered = bool(((inside > face[0]) & (inside < face[1])).all(axis=1).any())
        if covered:  # drawn again only then: a second pass thickens its soft outline a little
            self.canvas.draw(frame, self._face, face_moved)
        cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB, dst=out)
        return fallbacks

    def _behind(self, order: list[str], ok: np.ndarray) -> list[str]:
        """The arms drawn behind the torso this frame: hidden by the target (`_hidden_arm`) since the
        video began or for _HIDDEN_RUN frames in a row. A single frame's dropout (the detector losing
        the street walker's folded arm for a frame) keeps the arm in front: behind for one frame, the
        footballer's hand at his chin blinked out. A frame whose target shows no neck (the driver
        lost) tells nothing of what the body hides: the arms stay where they were."""
        behind = []
        for part in (part for part in order if part in self._unseen):
            if ok[J["neck"]] and _hidden_arm(part, self.rig.layers[part], ok):
                self._unseen[part] += 1
            elif ok[J["neck"]]:
                self._unseen[part] = 0
                self._shown.add(part)
            if self._unseen[part] and (part not in self._shown or self._unseen[part] >= _HIDDEN_RUN):
                behind.append(part)
        return behind

    def _limb_order(self, tgt: np.ndarray, ok: np.ndarray, depth: np.ndarray | None) -> list[str]:
        """Limbs back to front, all over the torso layer (but for an arm the target hides: `_behind`):
        legs before arms; the arms by the driver's depth (the far one first) where it is known, else,
        like the legs, a limb reaching across the body's midline last (a limb crossing the body is
        usually in front of it).

        Measured on dance_real (see the commit): drawing a limb behind the driver's torso under
        the photo's front-view torso hid arms the driver shows, and ordering the legs by depth
        swapped them mid-stride (their z crosses every step), so both lowered the limb PCK."""
        arms = [part for part in self._limbs if part.endswith("arm")]
        by_depth = _limb_depths(depth, ok, arms) if depth is not None and arms else None

        def crossing(part: str) -> bool:
            side, kind = part.split("_")
            roots = ("r_shoulder", "l_shoulder") if kind == "arm" else ("r_hip", "l_hip")
            root, other = (J[n] for n in (roots if side == "r" else roots[::-1]))
            tip = J[f"{side}_wrist" if kind == "arm" else f"{side}_ankle"]
            if not (ok[root] and ok[other] and ok[tip]):
                return False
            centre = (tgt[root] + tgt[other]) / 2
            return float(np.dot(tgt[tip] - centre, tgt[root] - centre)) < 0

        def key(part: str) -> tuple[bool, float]:
            if by_depth is not None and part in by_depth:
                return True, -by_depth[part]
            return part.endswith("arm"), float(crossing(part))

        return sorted(self._limbs, key=key)


def _steadier_arm(
    ref: np.ndarray, ref_ok: np.ndarray, target: PoseSequence | None, confidence: float, size: tuple[int, int]
) -> str:
    """The arm whose bones turn least from the photo over the target (a bone the target does not
    show keeps its turn): it keeps what both hands hold in the photo, so a ball held in front of
    the chest stays there with the steadier hand instead of swinging away with the other."""
    if target is None or len(target) == 0:
        return "r_arm"
    tgt = target.body[..., :2].astype(np.float64) * size  # normalized to the output, as `render` reads it
    seen = (target.body[..., 2] >= confidence) & np.isfinite(tgt).all(axis=-1)
    turns = {}
    for side in ("r", "l"):
        turns[f"{side}_arm"] = 0.0
        for a, b in ((J[f"{side}_shoulder"], J[f"{side}_elbow"]), (J[f"{side}_elbow"], J[f"{side}_wrist"])):
            both = seen[:, a] & seen[:, b]
            if not (ref_ok[a] and ref_ok[b] and both.any()):
                continue
            photo, moved = ref[b] - ref[a], tgt[both, b] - tgt[both, a]
            turn = np.arctan2(moved[:, 1], moved[:, 0]) - np.arctan2(photo[1], photo[0])
            turns[f"{side}_arm"] += float(np.abs((turn + np.pi) % (2 * np.pi) - np.pi).sum()) / len(tgt)
    return min(turns, key=turns.__getitem__)


def _bottom_cut(alpha: np.ndarray, padding: np.ndarray) -> np.ndarray | None:
    """[2, 2] the ends (pixels) of where the photo's bottom edge cuts the person, or None where the
    person does not reach it."""
    rows = np.flatnonzero(~padding.all(axis=1))
    if not rows.size:
        return None
    bottom = int(rows[-1])
    xs = np.flatnonzero((alpha[bottom] >= 0.5) & ~padding[bottom])
    if not xs.size:
        return None
    return np.array([[xs[0], bottom + 1.0], [xs[-1] + 1.0, bottom + 1.0]])


#: frames in a row an arm once shown must be hidden by the target before it is drawn behind the torso
_HIDDEN_RUN = 3


def _hidden_arm(part: str, layer: Layer, ok: np.ndarray) -> bool:
    """Whether the target hides this arm this frame: neither its elbow nor its wrist is seen (a side
    view's far arm, behind the body), and the arm moves on bones of its own (a portrait's sleeve moves
    with the torso, which covers it). Such an arm is drawn behind the torso, as the driver has it:
    drawn over it, the basketball player's left arm, holding the ball up as the photo has it, lay across
    the side-view walker's narrower chest, and the re-detected right arm, shoulders and face moved off
    the target's (dance_real's walker_arms_front, drawn behind: pose_pck 0.67 -> 0.71)."""
    side = part.split("_")[0]
    if HANDLE_INDEX[f"{side}_upper_arm"] not in layer.handles:
        return False
    return not (ok[J[f"{side}_elbow"]] or ok[J[f"{side}_wrist"]])


def _face_of(core: Layer | None) -> Layer | None:
    """The core's head triangles alone (its front pass), drawn again over the limbs: an arm or a
    held object swung across the face must not hide it (the face is what a viewer checks first),
    unless the driver's depth puts the arm in front (`_arm_before_face`)."""
    if core is None or len(core.passes) < 2:
        return None
    return replace(core, passes=core.passes[1:])


def _face_box(tgt: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The target's face (its eyes, ears and nose, grown by half its size each way), or None."""
    points = tgt[[j for j in FACE_JOINTS if ok[j]]]
    if len(points) < 2:
        return None
    lo, hi = points.min(0), points.max(0)
    grow = 0.5 * max(float((hi - lo).max()), 1.0)
    return lo - grow, hi + grow


def _solid(layer: Layer) -> np.ndarray:
    """[N] bool: the layer's vertices over opaque texture."""
    xy = np.round(layer.vertices - layer.origin).astype(int)
    h, w = layer.texture.shape[:2]
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    solid = np.zeros(len(xy), bool)
    solid[inside] = layer.texture[xy[inside, 1], xy[inside, 0], 3] >= 128
    return solid


def _arm_before_face(depth: np.ndarray | None, ok: np.ndarray) -> bool:
    """Whether the driver shows an elbow or wrist nearer the camera than its nose this frame."""
    if depth is None or not (ok[J["nose"]] and np.isfinite(depth[J["nose"]])):
        return False
    arm = [J[f"{s}_{n}"] for s in ("r", "l") for n in ("elbow", "wrist")]
    near = [depth[j] for j in arm if ok[j] and np.isfinite(depth[j])]
    return bool(near) and min(near) < depth[J["nose"]]


#: each limb's depth: the mean of its middle and end joints
_LIMB_JOINTS = {part: (J[mid], J[tip]) for part, (mid, tip) in LIMB_JOINTS.items()}
_TORSO = [J[n] for n in ("r_shoulder", "l_shoulder", "r_hip", "l_hip")]


def _limb_depths(depth: np.ndarray, ok: np.ndarray, limbs: list[str]) -> dict[str, float] | None:
    """Per limb depth (the mean of its known middle and end joints); None when the torso's or every
    limb's depth is unknown in this frame. A limb without a known depth (hidden in the driver) is
    put at the torso's depth: in front of the limbs behind the body, behind those in front."""
    known = ok & np.isfinite(depth)
    torso = [j for j in _TORSO if known[j]]
    if len(torso) < 2 or not any(known[j] for part in limbs for j in _LIMB_JOINTS[part]):
        return None
    centre = float(depth[torso].mean())
    values = {}
    for part in limbs:
        joints = [j for j in _LIMB_JOINTS[part] if known[j]]
        values[part] = float(depth[joints].mean()) if joints else centre
    return values
