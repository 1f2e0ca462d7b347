"""The declared model set. Add an entry here when a backend needs a new model.

Hashes are filled in only where the public file's sha256 is known; other files are
trusted on `dh models add` and pinned from then on (lock.json).
"""

from dhcore.models.registry import ModelSpec, register

DWPOSE_DET = register(
    ModelSpec(
        id="dwpose_yolox_l",
        files=("yolox_l.onnx",),
        format="onnx",
        license="Apache-2.0 (YOLOX)",
        source="https://huggingface.co/yzd-v/DWPose (yolox_l.onnx)",
        description="YOLOX-L person detector used by DWPose",
    )
)
DWPOSE_POSE = register(
    ModelSpec(
        id="dwpose_ll_ucoco_384",
        files=("dw-ll_ucoco_384.onnx",),
        format="onnx",
        license="Apache-2.0 (DWPose)",
        source="https://huggingface.co/yzd-v/DWPose (dw-ll_ucoco_384.onnx)",
        description="DWPose whole-body 133-keypoint estimator (RTMPose-l, 384x288)",
    )
)
