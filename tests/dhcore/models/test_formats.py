"""`dh models add` refuses files that are not what their name says, before pinning a hash."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
import torch
from onnx import TensorProto, helper, save_model
from safetensors.torch import save_file

from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.registry import ModelSpec


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("DH_MODELS_DIR", str(root))
    for spec in (
        ModelSpec(id="net", files=("net.onnx",), format="onnx", license="MIT", source="t",
                  onnx_inputs={"net.onnx": ("input", "weight")}),
        ModelSpec(id="st", files=("m.safetensors",), format="safetensors", license="MIT", source="t",
                  keys={"m.safetensors": frozenset({"a.weight", "a.bias"})}),
        ModelSpec(id="pth", files=("m.pth",), format="torch", license="MIT", source="t"),
    ):  # fmt: skip
        monkeypatch.setitem(registry.REGISTRY, spec.id, spec)
    return root


def _onnx(path: Path, inputs: list[str]) -> Path:
    values = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1]) for n in inputs]
    out = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", [inputs[0]], ["out"])], "g", values, [out])
    save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def test_two_byte_file_is_refused_with_a_clear_message(models: Path, tmp_path: Path) -> None:
    tiny = tmp_path / "gfpgan.pth"
    tiny.write_bytes(b"PK")
    with pytest.raises(ModelError, match=r"net: .*gfpgan.pth has only 2 bytes: not a \.onnx weights file"):
        registry.add("net", tiny)
    assert not (models / "net").exists() and registry.read_lock() == {}


def test_onnx_must_parse_and_have_the_declared_inputs(models: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07" * 64)
    with pytest.raises(ModelError, match="is not a valid ONNX model"):
        registry.add("net", junk)
    with pytest.raises(ModelError, match=r"ONNX inputs are \['input'\]; expected \['input', 'weight'\]"):
        registry.add("net", _onnx(tmp_path / "one.onnx", ["input"]))
    registry.add("net", _onnx(tmp_path / "two.onnx", ["input", "weight"]))
    assert "net.onnx" in registry.read_lock()["net"]


def test_safetensors_header_and_keys_are_checked(models: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.safetensors"
    save_file({"a.weight": torch.zeros(2, 2), "a.bias": torch.zeros(2)}, str(good))
    wrong = tmp_path / "wrong.safetensors"
    save_file({"a.weight": torch.zeros(2, 2), "b.bias": torch.zeros(2)}, str(wrong))
    with pytest.raises(ModelError, match=r"1 missing key\(s\): a.bias; 1 unexpected key\(s\): b.bias"):
        registry.add("st", wrong)
    damaged = tmp_path / "damaged.safetensors"
    damaged.write_bytes(good.read_bytes()[:-4])
    with pytest.raises(ModelError, match="lies outside the file"):
        registry.add("st", damaged)
    header = json.dumps({"x": 1}).encode()
    bogus = tmp_path / "bogus.safetensors"
    bogus.write_bytes(struct.pack("<Q", 1 << 40) + header)
    with pytest.raises(ModelError, match="header length"):
        registry.add("st", bogus)
    registry.add("st", good)


class Payload:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (print, ("pickled code ran",))


def test_pth_loads_weights_only(models: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hostile = tmp_path / "hostile.pth"
    torch.save({"w": torch.zeros(1), "x": Payload()}, hostile)
    with pytest.raises(ModelError, match=r"does not load with torch.load\(weights_only=True\)"):
        registry.add("pth", hostile)
    assert "pickled code ran" not in capsys.readouterr().out
    good = tmp_path / "good.pth"
    torch.save({"params_ema": {"w": torch.zeros(1)}}, good)
    registry.add("pth", good)
