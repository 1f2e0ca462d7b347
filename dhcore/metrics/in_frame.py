"""body_in_frame: does the body the photo shows stay inside the canvas?

head_in_frame only asks for the nose; a figure walked to the frame's edge can keep its head and
lose an arm, a flank and a foot (street_full_body: the footballer cut at the right edge for the
last half of the video, every gate passing). Re-detection cannot tell: a pose detector finds no
joint of a body part that is not drawn. So this reads where the animator is asked to place the
body: the target pose, each joint the photo shows with the photo's body around it (the margins
pose.align's framing keeps: a head radius, hands, feet, half a limb's width, never more than the
photo itself shows, `dhcore.pose.framing.margins`). A photo cut below the shoulders lets its arms
leave through the bottom edge, which cuts its body already; its neck and shoulders may not sink
more than a head radius towards it.

body_in_frame = the share of frames (with a joint to place) in which every joint the photo shows
and the target places lies inside the canvas with that margin (TOLERANCE pixels of slack).
"""

from __future__ import annotations

import numpy as np

from dhcore.pose import framing
from dhcore.pose.align import reference_in_output
from dhcore.pose.keypoints import N_BODY, PoseSequence

#: pixels a margin may reach past the edge (rounding of the placed points)
TOLERANCE = 1.0


def frames_inside(
    target: PoseSequence, reference: PoseSequence, min_confidence: float = 0.3, reference_confidence: float = 0.3
) -> list[bool | None]:  # fmt: skip
    """Per frame of the target: whether the shown body lies inside its canvas; None where the
    target places no joint the photo shows."""
    width, height = target.width, target.height
    ref = reference_in_output(reference, width, height).body[0]
    ref_ok = ref[:, 2] >= reference_confidence
    reach = framing.margins(ref, ref_ok, width, height)
    asked = target.visible(min_confidence)[:, :N_BODY] & framing.shown_inside(ref, ref_ok)[None]
    xy = np.nan_to_num(target.body[:, :N_BODY, :2]) * (width, height)
    lo, hi = xy - reach[None, :, :, 0], xy + reach[None, :, :, 1]
    beyond = hi > np.array([width, height]) + TOLERANCE
    if framing.cut_below_shoulders(ref, ref_ok):  # what the photo cuts may leave through its cut
        beyond[:, [j for j in framing.TRUNK_LIMBS if j not in framing.CUT_TOP], 1] = False
    out = ((lo < -TOLERANCE) | beyond).any(-1) & asked
    return [None if not a.any() else not o.any() for a, o in zip(asked, out, strict=True)]
