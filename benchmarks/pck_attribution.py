"""Where a pair's limb misses come from, per scored joint: the target, the warp animator, or the re-detector.

Reads the intermediate files `benchmarks/dance_real.py --work W` keeps (W/<pair>/: photo.png, ref.npz,
target.npz, detected.npz, still_pck/detected.npz) and prints, per limb joint (arms and legs) the PCK scores:
  target    frames scored, and the target's bone to this joint against the photo's (length ratio):
            far from 1, the target asks for a body the photo does not have;
  animator  the photo's joint carried by the warp animator's own handle transform, against the
            target (the animator's claim; 'held' when it holds the joint still);
  rendered  the joint's limb layer drawn alone: how far the target joint is from its nearest drawn
            pixel (under 1: the limb covers it), and for a wrist or ankle how far the drawn limb reaches
            past it along the bone (the hand or foot; negative: the limb ends short of it);
  detector  PCK@0.1 of the re-detected joint (the figure), its median error and its bias along the
            bone (negative: short of the target), split by how far the elbow or knee is bent;
  photo     the same re-detector on the unchanged photo (the still copy) against the photo's own
            pose: where it misses there, it cannot measure that joint on this photo at all.
then, one line per torso and face joint (neck, shoulders, hips, nose, eyes, ears): the animator's and the
re-detector's PCK and median offset (x, y in pixels) from the target, and the re-detector's from where the
animator put the joint (near zero: it reads the drawing as the animator placed it; far: something drawn there
misleads it, or the photo's own joint sits elsewhere on its body than the target's does on the driver's);
and the body's proportions (each limb bone over the neck-to-hips length) in the driver, the photo, the target
and the re-detection: a re-detector reads a body of human proportions, so where the target's differ from the
driver's (a photo's foreshortened thigh taken as its length) it puts the joints elsewhere than drawn.
Usage: .venv/bin/python benchmarks/dance_real.py --pairs demo --work /tmp/w
       .venv/bin/python benchmarks/pck_attribution.py /tmp/w/demo
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dhcore.animate.base import AnimateInputs  # noqa: E402
from dhcore.animate.warp.backend import Puppet, WarpParams  # noqa: E402
from dhcore.animate.warp.raster import skin  # noqa: E402
from dhcore.animate.warp.skeleton import HANDLE_INDEX  # noqa: E402
from dhcore.metrics import pck  # noqa: E402
from dhcore.pose.align import reference_in_output  # noqa: E402
from dhcore.pose.keypoints import J, PoseSequence  # noqa: E402

#: joint -> (the bone's parent joint, the animator's handle that carries the joint)
JOINTS = {
    "r_elbow": ("r_shoulder", "r_upper_arm"), "r_wrist": ("r_elbow", "r_forearm"),
    "l_elbow": ("l_shoulder", "l_upper_arm"), "l_wrist": ("l_elbow", "l_forearm"),
    "r_knee": ("r_hip", "r_thigh"), "r_ankle": ("r_knee", "r_shin"),
    "l_knee": ("l_hip", "l_thigh"), "l_ankle": ("l_knee", "l_shin"),
}  # fmt: skip
#: torso and face joint -> the animator's handle that carries it (a shoulder: its clavicle; a hip: the pelvis)
TORSO_JOINTS = {
    "neck": "torso", "r_shoulder": "r_clavicle", "l_shoulder": "l_clavicle", "r_hip": "pelvis", "l_hip": "pelvis",
    "nose": "head", "r_eye": "head", "l_eye": "head", "r_ear": "head", "l_ear": "head",
}  # fmt: skip
#: limb layer -> its root, middle and end joints
_LIMB_JOINTS = {
    f"{side}_{kind}": tuple(f"{side}_{n}" for n in names)
    for side in ("r", "l")
    for kind, names in (("arm", ("shoulder", "elbow", "wrist")), ("leg", ("hip", "knee", "ankle")))
}
#: per limb side and kind, the joints whose angle is the limb's bend (root, middle, end)
_LIMB = {"arm": ("shoulder", "elbow", "wrist"), "leg": ("hip", "knee", "ankle")}
BENDS = (("straight", 120, 181), ("bent", 60, 120), ("folded", 0, 60))


def pixels(pose: PoseSequence) -> np.ndarray:
    return pose.body[..., :2].astype(np.float64) * (pose.width, pose.height)


def animator_joints(work: Path, target: PoseSequence) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """[F, 18, 2] the photo's joints carried by the animator's handles (NaN where none); [F, 18] each:
    the target joint's distance to its limb layer's nearest drawn pixel, and how far that layer
    reaches past it along the bone (NaN where not measured); its held joints."""
    inputs = AnimateInputs(
        reference_image=work / "photo.png", reference_pose=work / "ref.npz", target_pose=work / "target.npz",
        skeleton=None, width=target.width, height=target.height, fps=Fraction(24),
    )  # fmt: skip
    puppet = Puppet.setup(inputs, WarpParams(), target)  # the rig dance_real rendered (its holding arm)
    poser, ref = puppet.poser, puppet.poser.ref
    tgt = pixels(target)
    ok = (target.body[..., 2] >= WarpParams().confidence) & np.isfinite(tgt).all(-1)
    out = np.full(tgt.shape, np.nan)
    gap, past = np.full(tgt.shape[:2], np.nan), np.full(tgt.shape[:2], np.nan)
    yy, xx = np.mgrid[0 : target.height, 0 : target.width]
    key = np.array([255, 0, 255])
    carriers = {name: handle for name, (_, handle) in JOINTS.items()} | TORSO_JOINTS
    for f in range(len(target)):
        transforms, _ = poser(np.nan_to_num(tgt[f]), ok[f])
        for name, handle in carriers.items():
            if poser.ref_ok[J[name]]:
                a = transforms[HANDLE_INDEX[handle]]
                out[f, J[name]] = a[:, :2] @ ref[J[name]] + a[:, 2]
        for part, layer in puppet.rig.layers.items():
            if part not in _LIMB_JOINTS:
                continue
            frame = np.empty((target.height, target.width, 4), np.uint8)
            frame[...] = (*key, 255)
            puppet.canvas.draw(frame, layer, skin(layer, transforms))
            drawn = np.abs(frame[..., :3].astype(int) - key).max(axis=-1) > 60
            for name in _LIMB_JOINTS[part][1:]:
                j, parent = J[name], J[JOINTS[name][0]]
                if not (ok[f, j] and ok[f, parent] and drawn.any()):
                    continue
                dx, dy = xx[drawn] - tgt[f, j, 0], yy[drawn] - tgt[f, j, 1]
                gap[f, j] = float(np.sqrt(dx**2 + dy**2).min())
                if name.endswith(("wrist", "ankle")):
                    bone = tgt[f, j] - tgt[f, parent]
                    u = bone / max(float(np.hypot(*bone)), 1e-9)
                    along, across = dx * u[0] + dy * u[1], np.abs(dx * u[1] - dy * u[0])
                    near = across <= 0.5 * float(np.hypot(*bone))
                    past[f, j] = float(along[near].max()) if near.any() else np.nan
    return out, gap, past, puppet.held


def limb_bend(xy: np.ndarray, side: str, kind: str) -> np.ndarray:
    """[F] the angle at the elbow or knee in degrees (180: a straight limb)."""
    s, e, w = (xy[:, J[f"{side}_{n}"]] for n in _LIMB[kind])
    u, v = s - e, w - e
    cos = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-9)
    return np.degrees(np.arccos(np.clip(cos, -1, 1)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path, help="a pair's folder kept by dance_real.py --work")
    work = parser.parse_args().work
    target, detected = PoseSequence.load(work / "target.npz"), PoseSequence.load(work / "detected.npz")
    reference = PoseSequence.load(work / "ref.npz")
    params = pck.Params()
    mask = pck.scored(target, params, pck.shown_by(reference, params))
    tol = params.alpha * pck.body_size(target, params.min_confidence)
    tgt, det = pixels(target), pixels(detected)
    found = detected.visible(params.min_confidence)
    photo = pixels(reference_in_output(reference, target.width, target.height))[0]
    still = work / "still_pck" / "detected.npz"
    still_xy = pixels(PoseSequence.load(still)) if still.is_file() else None
    carried, gap, past, held = animator_joints(work, target)
    print(f"{work}: {len(target)} frames, PCK tolerance {tol:.1f} px; animator holds {held or 'nothing'}")
    for name, (parent, _) in JOINTS.items():
        j, p = J[name], J[parent]
        m = mask[:, j]
        if not m.any():
            print(f"\n{name}: not scored (the photo does not show it, or the target never puts it in frame)")
            continue
        asked = (target.visible(params.min_confidence)[:, j]).sum()
        ratio = np.linalg.norm(tgt[:, j] - tgt[:, p], axis=-1) / np.linalg.norm(photo[j] - photo[p])
        print(
            f"\n{name}: scored in {m.sum()} of {len(target)} frames ({asked - m.sum()} asked outside the frame)"
        )
        print(f"  target    bone length / the photo's: median {np.nanmedian(ratio[m]):.2f}")
        err = np.linalg.norm(carried[:, j] - tgt[:, j], axis=-1)
        if name in held or not np.isfinite(err[m]).any():
            print("  animator  held still (not cut out of the photo)")
        else:
            print(
                f"  animator  median {np.nanmedian(err[m]):.1f} px, within tolerance {(err[m] <= tol).mean():.2f}"
            )
        if np.isfinite(gap[m, j]).any():
            g = gap[m, j][np.isfinite(gap[m, j])]
            line = (
                f"  rendered  joint off its drawn limb: median {np.median(g):.1f} px, 90th percentile "
                f"{np.percentile(g, 90):.1f} px, within 1 px in {(g <= 1).mean():.2f} of {len(g)} frames"
            )
            if np.isfinite(past[m, j]).any():
                line += f"; the limb reaches past it by {np.nanmedian(past[m, j]):+.1f} px (median)"
            print(line)
        miss = np.linalg.norm(det[:, j] - tgt[:, j], axis=-1)
        hit = found[:, j] & (miss <= tol)
        bone = tgt[:, j] - tgt[:, p]
        bone /= np.maximum(np.linalg.norm(bone, axis=-1, keepdims=True), 1e-9)
        along = ((det[:, j] - tgt[:, j]) * bone).sum(-1)
        bend = limb_bend(tgt, name[0], "leg" if name[2:] in ("knee", "ankle") else "arm")
        cells = [f"all {hit[m].mean():.2f} (n {m.sum()})"]
        for label, lo, hi in BENDS:
            k = m & (bend >= lo) & (bend < hi)
            if k.any():
                cells.append(f"{label} {hit[k].mean():.2f} (n {k.sum()})")
        print(f"  detector  PCK {', '.join(cells)}; median error {np.nanmedian(miss[m]):.1f} px, "
              f"along the bone {np.nanmedian(along[m]):+.1f} px")  # fmt: skip
        if still_xy is not None:
            off = np.linalg.norm(still_xy[:, j] - photo[j], axis=-1)
            print(f"  photo     re-detected on the unchanged photo: median {np.nanmedian(off):.1f} px from the "
                  f"photo's own pose, within tolerance {(off <= tol).mean():.2f}")  # fmt: skip
    print("\ntorso and face: PCK and median offset (x, y px) of the animator and the re-detector from the target, "
          "and the re-detector's from the animator")  # fmt: skip
    for name, handle in TORSO_JOINTS.items():
        j = J[name]
        m = mask[:, j]
        if not m.any():
            continue
        placed, seen = carried[m, j] - tgt[m, j], det[m, j] - tgt[m, j]
        hit = found[m, j] & (np.linalg.norm(seen, axis=-1) <= tol)
        moved = (np.linalg.norm(placed, axis=-1) <= tol).mean()
        print(f"  {name:<10} ({handle}) n {m.sum():2d}: animator {moved:.2f} {_offset(placed)}; "
              f"detector {hit.mean():.2f} {_offset(seen)}; detector - animator {_offset(det[m, j] - carried[m, j])}")  # fmt: skip
    scored = np.where(mask[..., None], 1.0, np.nan)  # the same joints in both: those scored
    shown = np.where(pck.shown_by(reference, params)[:, None], photo, np.nan)[None]
    print_proportions(work, {"photo": shown, "target": tgt * scored, "detected": det * scored})


#: limb bone -> its (parent, child) joints on either side, for the proportions
BONES = {
    "thigh": ("hip", "knee"), "shin": ("knee", "ankle"), "upper arm": ("shoulder", "elbow"),
    "forearm": ("elbow", "wrist"),
}  # fmt: skip


def proportions(xy: np.ndarray) -> dict[str, float]:
    """Median over frames of each limb bone (the longer side: a projection is never longer than the
    bone) over the neck-to-hips length, from [F, 18, 2] pixels (NaN where a joint is missing)."""
    torso = np.linalg.norm((xy[:, J["r_hip"]] + xy[:, J["l_hip"]]) / 2 - xy[:, J["neck"]], axis=-1)
    out = {}
    for bone, (a, b) in BONES.items():
        sides = [np.linalg.norm(xy[:, J[f"{s}_{b}"]] - xy[:, J[f"{s}_{a}"]], axis=-1) for s in "rl"]
        with np.errstate(invalid="ignore"):
            longer = np.fmax(*sides) / torso
        out[bone] = float(np.nanmedian(longer)) if np.isfinite(longer).any() else float("nan")
    return out


def print_proportions(work: Path, poses: dict[str, np.ndarray]) -> None:
    """One line per pose: its limb bones over its torso (see `proportions`)."""
    driver = work / "driver_s.npz"
    if driver.is_file():
        poses = {"driver": pixels(PoseSequence.load(driver))} | poses
    print("\nproportions: limb bone / neck-to-hips, median over frames (the longer side)")
    for label, xy in poses.items():
        cells = ", ".join(f"{bone} {v:.2f}" for bone, v in proportions(xy).items() if np.isfinite(v))
        print(f"  {label:<10} {cells or 'no torso or limb shown'}")


def _offset(xy: np.ndarray) -> str:
    """Median offset of [n, 2] pixel differences, as (x, y)."""
    x, y = np.nanmedian(xy, axis=0)
    return f"({x:+.1f}, {y:+.1f})"


if __name__ == "__main__":
    main()
