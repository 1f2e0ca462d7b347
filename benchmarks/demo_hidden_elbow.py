"""Why the demo's left elbow scores no PCK: where the re-detector reads the astronaut's hidden left elbow.

Her left arm is behind the helmet she holds; the photo's pose guesses its elbow (seen at 0.33) where the
sleeve disappears behind the helmet, and the warp animator holds that arm still. The aligned target puts
the elbow a whole upper arm from the shoulder, on the helmet's face. This prints, from the files
`benchmarks/dance_real.py --pairs demo --work W` keeps (W/demo):
  target    the target's shoulder-to-elbow length against the photo's, and the re-detected elbow's
            offset from the target's over the dance (along the upper arm: negative = short of it);
  stills    the same re-detector (MediaPipe in video mode, as evaluate.pose_pck) on the photo with the
            helmet removed (Telea fill) or moved by (dx, dy) px, against the target's elbow in its
            align frame: whether any placement of the helmet brings the read elbow within tolerance.
The helmet's outline is an ellipse read off the photo by eye (it is cut by the photo's right and bottom
edges; its black shell matches the black table behind it, so no segmentation here takes it whole).
Usage: .venv/bin/python benchmarks/dance_real.py --pairs demo --work /tmp/w
       .venv/bin/python benchmarks/demo_hidden_elbow.py /tmp/w/demo
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from dhcore.media.frames import FrameWriter  # noqa: E402
from dhcore.metrics import integrity, pck  # noqa: E402
from dhcore.pose import extract  # noqa: E402
from dhcore.pose.keypoints import J, PoseSequence  # noqa: E402

#: the helmet in the 512x512 photo: centre (x, y), half-axes (x, y), read off the photo by eye
HELMET = ((395, 478), (122, 135))
#: helmet placements tried: (dx, dy) pixels
MOVES = ((0, 0), (-60, 0), (60, 0), (0, -40), (0, 40))


def _read_elbow(image: np.ndarray, work: Path) -> np.ndarray:
    """[3] the re-detected left elbow (x, y pixels, confidence) on a still, as evaluate.pose_pck reads it."""
    path = work / "still.nut"
    with FrameWriter(path, Fraction(24), image.shape[1], image.shape[0]) as writer:
        writer.write(np.repeat(image[None], 4, axis=0))
    params = extract.Params(detector="mediapipe", parts="body")
    pose, _ = extract.detect_video(path, params, detector=integrity.SegmentingDetector())
    x, y, c = pose.body[-1, J["l_elbow"]]
    return np.array([x * image.shape[1], y * image.shape[0], c])


def _placements(photo: np.ndarray) -> dict[str, np.ndarray]:
    """The photo with the helmet removed, and moved by each of MOVES over that."""
    helmet = np.zeros(photo.shape[:2], np.uint8)
    cv2.ellipse(helmet, HELMET[0], HELMET[1], 0, 0, 360, 1, -1)
    grown = cv2.dilate(helmet, np.ones((7, 7), np.uint8))
    gone = cv2.inpaint(photo, grown, 5, cv2.INPAINT_TELEA)
    out = {"removed": gone}
    for dx, dy in MOVES:
        shift = np.float32([[1, 0, dx], [0, 1, dy]])
        size = photo.shape[1::-1]
        moved = cv2.warpAffine(photo, shift, size, borderMode=cv2.BORDER_REPLICATE)
        where = cv2.warpAffine(helmet, shift, size) > 0
        image = gone.copy()
        image[where] = moved[where]
        out[f"moved ({dx:+d}, {dy:+d})"] = image
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path, help="dance_real's work folder of the demo pair")
    args = parser.parse_args()
    ref, target = PoseSequence.load(args.work / "ref.npz"), PoseSequence.load(args.work / "target.npz")
    detected = PoseSequence.load(args.work / "detected.npz")
    size = np.array([target.width, target.height], np.float64)
    shoulder, elbow = J["l_shoulder"], J["l_elbow"]
    tolerance = pck.Params().alpha * pck.body_size(target)
    photo_bone = np.linalg.norm((ref.body[0, elbow, :2] - ref.body[0, shoulder, :2]) * size)
    bones = np.linalg.norm((target.body[:, elbow, :2] - target.body[:, shoulder, :2]) * size, axis=1)
    print(f"photo: l_elbow seen with {ref.body[0, elbow, 2]:.2f}, {photo_bone:.0f} px from the shoulder; "
          f"target: {np.median(bones):.0f} px (median), PCK tolerance {tolerance:.1f} px")  # fmt: skip
    axis = target.body[:, elbow, :2] - target.body[:, shoulder, :2]
    axis = axis / np.linalg.norm(axis, axis=1, keepdims=True)
    offset = (detected.body[:, elbow, :2] - target.body[:, elbow, :2]) * size
    along = (offset * axis).sum(axis=1)
    found = detected.body[:, elbow, 2] >= pck.Params().min_confidence
    print(f"output: re-detected in {found.mean():.2f} of {len(target)} frames, "
          f"{np.median(np.linalg.norm(offset[found], axis=1)):.0f} px from the target's (median), "
          f"{np.median(along[found]):+.0f} px along the upper arm")  # fmt: skip
    rest = target.body[0, elbow, :2] * size  # the align frame: the target in the photo's pose
    print(f"stills, against the target's elbow in its first frame ({rest[0]:.0f}, {rest[1]:.0f}):")
    photo = extract.read_image(args.work / "photo.png")
    with tempfile.TemporaryDirectory(prefix="dh-elbow-") as tmp:
        for name, image in {"photo": photo, **_placements(photo)}.items():
            x, y, c = _read_elbow(image, Path(tmp))
            miss = float(np.hypot(x - rest[0], y - rest[1]))
            print(f"  {name:<16} elbow ({x:.0f}, {y:.0f}) seen {c:.2f}: {miss:.0f} px "
                  f"({'within' if miss <= tolerance else 'outside'} tolerance)")  # fmt: skip


if __name__ == "__main__":
    main()
