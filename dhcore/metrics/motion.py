"""Does the output move the way the target asks, and which joints did the animator hold still?

Both compare joint tracks relative to the neck (the body's own articulation; root translation is
measured by PCK), in output pixels, over frames where the joint is scored and found on both sides.

- follow(j) = the least-squares gain of the output's track on the target's: sum(d . t) / sum(t . t)
  over the frames' deviations from their means, clipped to [0, 1]. 1: the joint makes the target's
  whole motion; 0.3: a third of it; 0: still, or moving in an unrelated way (jitter and mirrored
  swings do not count as following). A joint found in fewer than half its scored frames follows 0.
- motion_follow = the mean follow of the limb joints (elbows, wrists, knees, ankles) the target
  moves by at least MOVING x body size (RMS, PCK's tolerance); joints the target keeps still say
  nothing about it.
- held: a scored joint the target moves that way while the output's RMS motion stays under HELD of
  the target's: the animator did not move it (e.g. an arm it could not cut free of the torso).
"""

from __future__ import annotations

import numpy as np

from dhcore.pose.keypoints import BODY_NAMES, J, PoseSequence

LIMBS = tuple(
    J[n] for n in ("r_elbow", "r_wrist", "l_elbow", "l_wrist", "r_knee", "r_ankle", "l_knee", "l_ankle")
)
#: a target joint "moves" when its RMS motion around its mean reaches this share of the body size: PCK's
#: own tolerance (alpha 0.1), below which a joint kept still can still be scored correct
MOVING = 0.1
#: a moving target joint is "held" when the output's RMS motion stays under this share of the target's
HELD = 0.25


def _relative(pose: PoseSequence, min_confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """[F, 18, 2] joint positions minus the neck (pixels), and [F, 18] where both are found."""
    xy = pose.body[..., :2] * (pose.width, pose.height)
    vis = pose.visible(min_confidence)
    return xy - xy[:, J["neck"] : J["neck"] + 1], vis & vis[:, J["neck"] : J["neck"] + 1]


def joint_motion(
    target: PoseSequence, detected: PoseSequence, scored: np.ndarray, size: float, min_confidence: float = 0.3
) -> dict[str, dict[str, float]]:
    """Per scored joint that the target moves: {name: {target_rms, output_rms, follow}} (RMS in pixels).

    `scored` is the [F, 18] mask of frames and joints PCK scores."""
    t, t_ok = _relative(target, min_confidence)
    d, d_ok = _relative(detected, min_confidence)
    out: dict[str, dict[str, float]] = {}
    for j in range(len(BODY_NAMES)):
        frames = scored[:, j] & t_ok[:, j]
        if frames.sum() < 2:
            continue
        tj = t[frames, j]
        t_dev = tj - tj.mean(axis=0)
        t_rms = float(np.sqrt((t_dev**2).sum(axis=1).mean()))
        if t_rms < MOVING * size:
            continue
        both = frames & d_ok[:, j]
        if both.sum() < max(2, frames.sum() / 2):
            out[BODY_NAMES[j]] = {"target_rms": t_rms, "output_rms": float("nan"), "follow": 0.0}
            continue
        tb, db = t[both, j], d[both, j]
        tb, db = tb - tb.mean(axis=0), db - db.mean(axis=0)
        gain = float((tb * db).sum() / max((tb * tb).sum(), 1e-9))
        d_rms = float(np.sqrt((db**2).sum(axis=1).mean()))
        out[BODY_NAMES[j]] = {
            "target_rms": t_rms,
            "output_rms": d_rms,
            "follow": float(np.clip(gain, 0.0, 1.0)),
        }
    return out


def motion_follow(motion: dict[str, dict[str, float]]) -> float | None:
    """Mean follow of the moving limb joints; None when the target moves no limb joint."""
    limbs = [m["follow"] for name, m in motion.items() if J[name] in LIMBS]
    return float(np.mean(limbs)) if limbs else None


def held_joints(motion: dict[str, dict[str, float]]) -> list[str]:
    """Joints the target moves that the output keeps (nearly) still (a joint not found is not "held")."""
    return [name for name, m in motion.items() if m["output_rms"] < HELD * m["target_rms"]]
