"""Where a pair's limb misses come from, per scored joint: the target, the warp animator, or the re-detector.

Reads the intermediate files `benchmarks/dance_real.py --work W` keeps (W/<pair>/: photo.png, ref.npz,
target.npz, detected.npz, still_pck/detected.npz) and prints, per limb joint (arms and legs) the PCK scores:
  target    frames scored, and the target's bone to this joint against the photo's (length ratio):
            far from 1, the target asks for a body the photo does not have;
  animator  the photo's joint carried by the warp animator's own handle transform, against the
            target (the animator's claim; 'held' when it holds the joint still);
  detector  PCK@0.1 of the re-detected joint (the figure), its median error and its bias along the
            bone (negative: short of the target), split by how far the elbow or knee is bent;
  photo     the same re-detector on the unchanged photo (the still copy) against the photo's own
            pose: where it misses there, it cannot measure that joint on this photo at all.
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
#: per limb side and kind, the joints whose angle is the limb's bend (root, middle, end)
_LIMB = {"arm": ("shoulder", "elbow", "wrist"), "leg": ("hip", "knee", "ankle")}
BENDS = (("straight", 120, 181), ("bent", 60, 120), ("folded", 0, 60))


def pixels(pose: PoseSequence) -> np.ndarray:
    return pose.body[..., :2].astype(np.float64) * (pose.width, pose.height)


def animator_joints(work: Path, target: PoseSequence) -> tuple[np.ndarray, list[str]]:
    """[F, 18, 2] the photo's joints carried by the animator's handles (NaN where none), its held joints."""
    inputs = AnimateInputs(
        reference_image=work / "photo.png", reference_pose=work / "ref.npz", target_pose=work / "target.npz",
        skeleton=None, width=target.width, height=target.height, fps=Fraction(24),
    )  # fmt: skip
    puppet = Puppet.setup(inputs, WarpParams())
    poser, ref = puppet.poser, puppet.poser.ref
    tgt = pixels(target)
    ok = (target.body[..., 2] >= WarpParams().confidence) & np.isfinite(tgt).all(-1)
    out = np.full(tgt.shape, np.nan)
    for f in range(len(target)):
        transforms, _ = poser(np.nan_to_num(tgt[f]), ok[f])
        for name, (_, handle) in JOINTS.items():
            if poser.ref_ok[J[name]]:
                a = transforms[HANDLE_INDEX[handle]]
                out[f, J[name]] = a[:, :2] @ ref[J[name]] + a[:, 2]
    return out, puppet.held


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
    carried, held = animator_joints(work, target)
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


if __name__ == "__main__":
    main()
