"""The identity option of the SVD backend: StableAnimator's face encoder and ID adapters.

`identity: {encoder: stableanimator}` in the backend params swaps MimicMotion's release for
StableAnimator's (UNet with ID adapters, its PoseNet, its face encoder) and conditions the UNet on
identity tokens made from the ArcFace embedding of the reference face (a local insightface pack).
StableAnimator was trained on antelopev2's recognizer (glintr100); buffalo_l's w600k_r50 is the
pack dh registers: a different recognizer, so its embeddings are an approximation of the trained
input, stated here rather than hidden. Its params: dhcore.animate.mimicmotion.params.IdentityEncoderParams.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dhcore.errors import InputError
from dhcore.models import registry


def reference_embedding(photo: Path, face_pack: str) -> np.ndarray:
    """Raw ArcFace embedding [512] of the largest face in the reference photo."""
    from dhcore.face.insightface_backend import InsightFaceAnalyzer

    data = np.fromfile(photo, dtype=np.uint8) if Path(photo).is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if image is None:
        raise InputError(f"{photo}: cannot read the reference image")
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    analyzer = InsightFaceAnalyzer(registry.resolve(face_pack))
    faces = analyzer.detect(rgb)
    if not faces:
        raise InputError(
            f"{photo}: no face found; animate.params.identity needs the reference face (remove it to animate "
            "without identity tokens)"
        )
    largest = max(faces, key=lambda f: float((f.box[2] - f.box[0]) * (f.box[3] - f.box[1])))
    return analyzer.embedder.raw(rgb, largest.kps)
