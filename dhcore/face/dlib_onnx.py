"""dlib's face-recognition ResNet, read from its .dat file and run with onnxruntime.

dlib evaluates the network on one core in ~75 ms per face here, too slow for per-frame
identity at 20 frames/s. The weights in `dlib_face_recognition_resnet_model_v1.dat` (shipped
inside face_recognition_models) are plain float32 tensors in dlib's serialization format, so
they are parsed here and the same graph is rebuilt as ONNX: outputs equal dlib's to ~1e-6
(checked by the tests) at ~3-7 ms per face. Nothing is unpickled and nothing is downloaded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from dhcore.errors import ModelError
from dhcore.models.onnx_providers import onnx_providers

#: layer version strings dlib writes for the layers of this network, in serialization order
_TOKEN = re.compile(
    rb"\x01[\x04-\x20](con_[456]|affine_2?|relu_|max_pool_2|avg_pool_2|add_prev_|fc_[23]|input_rgb_image_sized)"
)


class _Reader:
    """dlib's serialization primitives over a bytes buffer."""

    def __init__(self, data: bytes, path: Path) -> None:
        self.data, self.path, self.pos = data, path, 0

    def fail(self, what: str) -> ModelError:
        return ModelError(f"{self.path}: not a dlib face-recognition network ({what} at byte {self.pos})")

    def int(self) -> int:
        if self.pos >= len(self.data):
            raise self.fail("unexpected end of file")
        control = self.data[self.pos]
        size = control & 0x0F
        if size > 8:
            raise self.fail("bad integer")
        value = int.from_bytes(self.data[self.pos + 1 : self.pos + 1 + size], "little")
        self.pos += 1 + size
        return -value if control & 0x80 else value

    def float(self) -> float:
        mantissa = self.int()
        exponent = self.int()
        return float(mantissa) * 2.0**exponent

    def string(self) -> str:
        n = self.int()
        text = self.data[self.pos : self.pos + n].decode("latin-1")
        self.pos += n
        return text

    def tensor(self) -> np.ndarray:
        if self.int() != 2:
            raise self.fail("unsupported tensor version")
        dims = [self.int() for _ in range(4)]
        count = int(np.prod(dims))
        if count < 0 or self.pos + 4 * count > len(self.data):
            raise self.fail("tensor runs past the end of the file")
        values = np.frombuffer(self.data, dtype="<f4", count=count, offset=self.pos).astype(np.float32)
        self.pos += 4 * count
        return values.reshape(dims)

    def alias(self) -> list[int]:
        if self.int() != 1:
            raise self.fail("unsupported alias tensor version")
        return [self.int() for _ in range(4)]


@dataclass(frozen=True)
class DlibNet:
    """The parsed layer list plus the input layer's settings."""

    layers: list[tuple]
    mean_rgb: tuple[float, float, float]
    size: int


def parse_dlib_resnet(path: Path) -> DlibNet:
    reader = _Reader(Path(path).read_bytes(), Path(path))
    layers: list[tuple] = []
    mean: tuple[float, float, float] | None = None
    size = 0
    while match := _TOKEN.search(reader.data, reader.pos):
        reader.pos = match.start()
        name = reader.string()
        if name.startswith("con_"):
            params = reader.tensor().ravel()
            n_filters = reader.int()
            kh, kw, sy, sx, py, px = (reader.int() for _ in range(6))
            fshape, bshape = reader.alias(), reader.alias()
            nw = int(np.prod(fshape))
            if fshape[0] != n_filters or fshape[2:] != [kh, kw] or params.size < nw + int(np.prod(bshape)):
                raise reader.fail("inconsistent convolution")
            bias = params[nw : nw + int(np.prod(bshape))]
            layers.append(("conv", params[:nw].reshape(fshape), bias, (sy, sx), (py, px)))
        elif name.startswith("affine"):
            params = reader.tensor().ravel()
            gshape, _ = reader.alias(), reader.alias()
            k = int(np.prod(gshape))
            layers.append(("affine", params[:k], params[k : 2 * k]))
        elif name.startswith("fc_"):
            n_out, n_in = reader.int(), reader.int()
            layers.append(("fc", reader.tensor().reshape(n_in, n_out)))
        elif name in ("max_pool_2", "avg_pool_2"):
            layers.append((name[:3] + "pool", tuple(reader.int() for _ in range(6))))
        elif name == "input_rgb_image_sized":
            mean = (reader.float(), reader.float(), reader.float())
            size = reader.int()
            if reader.int() != size:
                raise reader.fail("non-square input")
        else:
            layers.append((name.rstrip("_"),))
    kinds = [layer[0] for layer in layers]
    if mean is None or kinds.count("conv") != 29 or kinds[-1] != "fc" or kinds.count("add_prev") != 14:
        raise ModelError(f"{path}: not dlib's 29-layer face-recognition ResNet (found {len(kinds)} layers)")
    return DlibNet(layers=layers, mean_rgb=mean, size=size)


def _out(size: int, kernel: int, stride: int, pad: int) -> int:
    return 1 + (size + 2 * pad - kernel) // stride


def build_onnx(net: DlibNet) -> onnx.ModelProto:
    """The dlib graph as ONNX: input [N,3,S,S] float (pixel - mean) / 256 in RGB, output [N,128].

    Residual units are read from the layer order: a unit starts after a relu/max-pool; an
    avg-pool inside a unit is dlib's downsampling shortcut; add_prev zero-pads the smaller
    tensor (dlib's `add` semantics), which happens where stride-2 blocks meet odd sizes.
    """
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    counter = [0]

    def name(prefix: str) -> str:
        counter[0] += 1
        return f"{prefix}_{counter[0]}"

    def const(value: np.ndarray, prefix: str) -> str:
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value), n))
        return n

    def node(op: str, inputs: list[str], **attrs: object) -> str:
        out = name(op.lower())
        nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    x, shape = "input", [3, net.size, net.size]
    shortcut, shortcut_shape = x, shape
    pooled: tuple[str, list[int]] | None = None
    previous = ""
    for layer in net.layers:
        kind = layer[0]
        if kind == "conv":
            w, b, (sy, sx), (py, px) = layer[1], layer[2], layer[3], layer[4]
            x = node("Conv", [x, const(w, "w"), const(b, "b")], kernel_shape=list(w.shape[2:]),
                     strides=[sy, sx], pads=[py, px, py, px])  # fmt: skip
            shape = [w.shape[0], _out(shape[1], w.shape[2], sy, py), _out(shape[2], w.shape[3], sx, px)]
        elif kind == "affine":
            x = node("Mul", [x, const(layer[1].reshape(1, -1, 1, 1), "gamma")])
            x = node("Add", [x, const(layer[2].reshape(1, -1, 1, 1), "beta")])
        elif kind == "relu":
            x = node("Relu", [x])
            if previous == "add_prev":
                shortcut, shortcut_shape = x, shape
        elif kind == "maxpool":
            kh, kw, sy, sx, py, px = layer[1]
            x = node("MaxPool", [x], kernel_shape=[kh, kw], strides=[sy, sx], pads=[py, px, py, px])
            shape = [shape[0], _out(shape[1], kh, sy, py), _out(shape[2], kw, sx, px)]
            shortcut, shortcut_shape = x, shape
        elif kind == "avgpool":
            kh, kw, sy, sx, py, px = layer[1]
            if kh == 0:  # avg_pool_everything
                x, shape = node("GlobalAveragePool", [x]), [shape[0], 1, 1]
            else:
                p = node("AveragePool", [shortcut], kernel_shape=[kh, kw], strides=[sy, sx],
                         pads=[py, px, py, px])  # fmt: skip
                s = shortcut_shape
                pooled = (p, [s[0], _out(s[1], kh, sy, py), _out(s[2], kw, sx, px)])
        elif kind == "add_prev":
            other, other_shape = pooled if pooled else (shortcut, shortcut_shape)
            pooled = None
            target = [max(a, b) for a, b in zip(other_shape, shape, strict=True)]

            def padded(t: str, s: list[int], target: list[int] = target) -> str:
                if s == target:
                    return t
                pads = np.array([0, 0, 0, 0, 0] + [target[i] - s[i] for i in range(3)], np.int64)
                return node("Pad", [t, const(pads, "pads")])

            x, shape = node("Add", [padded(other, other_shape), padded(x, shape)]), target
        elif kind == "fc":
            x = node("Flatten", [x])
            nodes.append(helper.make_node("MatMul", [x, const(layer[1], "fc")], ["embedding"]))
        previous = kind
    graph = helper.make_graph(
        nodes, "dlib_face_recognition_resnet_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 3, net.size, net.size])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["n", 128])], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


class DlibEncoder:
    """dlib's 128-d face descriptor of a 150x150 face chip, computed with onnxruntime."""

    def __init__(self, dat_path: Path) -> None:
        import onnxruntime as ort

        self.net = parse_dlib_resnet(dat_path)
        model = build_onnx(self.net)
        options = ort.SessionOptions()
        options.log_severity_level = 3
        # one thread: on 2 shared cores a second (spinning) thread made it 3x slower under load
        options.intra_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(model.SerializeToString(), options, providers=onnx_providers())
        self.mean = np.array(self.net.mean_rgb, np.float32)
        self.size = self.net.size

    def __call__(self, chips: np.ndarray) -> np.ndarray:
        """RGB uint8 chips [N, S, S, 3] (or one [S, S, 3]) -> descriptors [N, 128]."""
        chips = np.asarray(chips)
        if chips.ndim == 3:
            chips = chips[None]
        blob = ((chips.astype(np.float32) - self.mean) / 256.0).transpose(0, 3, 1, 2)
        return self.session.run(None, {"input": np.ascontiguousarray(blob)})[0]
