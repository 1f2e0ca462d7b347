"""Helpers of the face tests: frame files with small head motion, and tiny ONNX models with the
real models' input/output signatures (so pre/post-processing and paste-back run without weights)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from dhcore.media.frames import FrameWriter, iter_frames


# -- frames -----------------------------------------------------------------------------------
def moving(image: np.ndarray, count: int, size: int = 512) -> np.ndarray:
    """A small head-bob of `image`: shift, tilt and zoom varying smoothly over `count` frames."""
    h, w = image.shape[:2]
    out = np.empty((count, size, size, 3), np.uint8)
    for i in range(count):
        t = i / 24.0
        m = cv2.getRotationMatrix2D((w / 2, h / 3), 4.0 * math.sin(math.pi * t), size / max(h, w))
        m[:, 2] += (12.0 * math.sin(2.5 * t), 6.0 * math.cos(3.7 * t))
        out[i] = cv2.warpAffine(image, m, (size, size), borderMode=cv2.BORDER_REFLECT)
    return out


def write_frames(path: Path, frames: np.ndarray, fps: int = 24) -> Path:
    with FrameWriter(path, Fraction(fps), frames.shape[2], frames.shape[1]) as writer:
        writer.write(frames)
    return path


def read_frames(path: Path) -> np.ndarray:
    return np.concatenate(list(iter_frames(path)))


# -- tiny ONNX models -------------------------------------------------------------------------
def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def tiny_restorer(path: Path, size: int = 512, codeformer: bool = False) -> Path:
    """GFPGAN's signature: input [1,3,S,S] -> output [1,3,S,S]; computes -input (a colour negative).

    With codeformer=True there is a second input `weight` (double [1], the fidelity) and the
    output is input * weight.
    """
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, size, size])]
    if codeformer:
        inputs.append(helper.make_tensor_value_info("weight", TensorProto.DOUBLE, [1]))
        nodes = [
            helper.make_node("Cast", ["weight"], ["w32"], to=TensorProto.FLOAT),
            helper.make_node("Mul", ["input", "w32"], ["output"]),
        ]
    else:
        nodes = [helper.make_node("Neg", ["input"], ["output"])]
    out = [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, size, size])]
    return _save(helper.make_graph(nodes, "tiny_restorer", inputs, out), path)


def tiny_arcface(path: Path, seed: int = 0) -> Path:
    """ArcFace's signature: [N,3,112,112] -> [N,512]; a fixed projection of the mean colour and
    of coarse 4x4 structure, so different crops give different embeddings."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(48, 512)).astype(np.float32)
    nodes = [
        helper.make_node("AveragePool", ["input.1"], ["p"], kernel_shape=[28, 28], strides=[28, 28]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("MatMul", ["f", "w"], ["683"]),
    ]
    graph = helper.make_graph(
        nodes, "tiny_arcface",
        [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, ["N", 3, 112, 112])],
        [helper.make_tensor_value_info("683", TensorProto.FLOAT, ["N", 512])],
        [numpy_helper.from_array(w, "w")],
    )  # fmt: skip
    return _save(graph, path)


#: key points of the tiny detector's face, in strides from the anchor centre (x, y)
TINY_KPS = np.array([[-0.5, -0.4], [0.5, -0.4], [0.0, 0.05], [-0.4, 0.5], [0.4, 0.5]], np.float32)
TINY_BOX_HALF = 1.5  # box half-size in strides


def tiny_scrfd(path: Path) -> Path:
    """SCRFD's signature: input [1,3,H,W] -> 9 outputs (scores [N,1], boxes [N,4], key points
    [N,10] for strides 8, 16, 32, two anchors per cell). Only stride 32 fires: a cell scores
    high when it is bright, its box is +-1.5 strides around the cell centre and its key points
    sit at TINY_KPS."""
    nodes, inits = [], []
    outputs = {"score": [], "bbox": [], "kps": []}
    for stride in (8, 16, 32):
        pooled = f"pool{stride}"
        nodes.append(helper.make_node("AveragePool", ["input.1"], [pooled], kernel_shape=[stride, stride],
                                      strides=[stride, stride]))  # fmt: skip
        heads = {
            "score": (
                np.full((2, 3, 1, 1), 10.0 / 3, np.float32),
                np.full(2, -5.0 if stride == 32 else -30.0),
            ),
            "bbox": (np.zeros((8, 3, 1, 1), np.float32), np.full(8, TINY_BOX_HALF)),
            "kps": (np.zeros((20, 3, 1, 1), np.float32), np.tile(TINY_KPS.ravel(), 2)),
        }
        for head, (w, b) in heads.items():
            width = w.shape[0] // 2
            wname, bname = f"{head}{stride}_w", f"{head}{stride}_b"
            inits += [numpy_helper.from_array(w, wname), numpy_helper.from_array(b.astype(np.float32), bname)]
            conv, perm, flat = f"{head}{stride}_c", f"{head}{stride}_t", f"{head}_{stride}"
            nodes += [
                helper.make_node("Conv", [pooled, wname, bname], [conv]),
                helper.make_node("Transpose", [conv], [perm], perm=[0, 2, 3, 1]),
                helper.make_node(
                    "Reshape", [perm, f"shape{width}"], [flat if head != "score" else flat + "_l"]
                ),
            ]
            if head == "score":
                nodes.append(helper.make_node("Sigmoid", [flat + "_l"], [flat]))
            outputs[head].append(flat)
    for width in (1, 4, 10):
        inits.append(numpy_helper.from_array(np.array([-1, width], np.int64), f"shape{width}"))
    out_infos = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, [f"n_{name}", width])
        for head, width in (("score", 1), ("bbox", 4), ("kps", 10))
        for name in outputs[head]
    ]
    graph = helper.make_graph(
        nodes, "tiny_scrfd", [helper.make_tensor_value_info("input.1", TensorProto.FLOAT, [1, 3, "h", "w"])],
        out_infos, inits,
    )  # fmt: skip
    return _save(graph, path)


def tiny_inswapper(path: Path, seed: int = 1) -> tuple[Path, np.ndarray, np.ndarray]:
    """inswapper's signature: target [1,3,128,128] + source [1,512] -> [1,3,128,128], with the emap
    [512,512] as the last initializer. Output = 0.5 * target + (source @ colour)[per channel],
    so a test can predict the pasted colour from the source latent. Returns (path, emap, colour)."""
    rng = np.random.default_rng(seed)
    emap = rng.normal(size=(512, 512)).astype(np.float32)
    colour = (rng.normal(size=(512, 3)) * 0.02).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["source", "colour"], ["c"]),
        helper.make_node("Reshape", ["c", "shape"], ["c4"]),
        helper.make_node("Mul", ["target", "half"], ["t"]),
        helper.make_node("Add", ["t", "c4"], ["output"]),
    ]
    inits = [
        numpy_helper.from_array(colour, "colour"),
        numpy_helper.from_array(np.array([1, 3, 1, 1], np.int64), "shape"),
        numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        numpy_helper.from_array(emap, "buff2fs"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_inswapper",
        [helper.make_tensor_value_info("target", TensorProto.FLOAT, [1, 3, 128, 128]),
         helper.make_tensor_value_info("source", TensorProto.FLOAT, [1, 512])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3, 128, 128])], inits,
    )  # fmt: skip
    return _save(graph, path), emap, colour
