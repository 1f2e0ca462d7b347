"""The CLI contract: exit codes, located validation errors, JSON outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from dh.cli import main
from dhcore.pose.keypoints import PoseSequence

SPEC = """\
version: 1
kind: dance_video
subject: {image: person.png}
motion: {type: keypoints, path: dance.npz}
"""


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    from skimage import data

    cv2.imwrite(str(tmp_path / "person.png"), cv2.cvtColor(data.astronaut()[::2, ::2], cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(3, 64, 64, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(tmp_path / "dance.npz")
    (tmp_path / "good.yaml").write_text(SPEC)
    (tmp_path / "bad.yaml").write_text(SPEC.replace("dance.npz", "nope.npz") + "colour: red\n")
    return tmp_path


def test_validate_ok_and_errors(spec_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(spec_dir / "good.yaml")]) == 0
    assert "ok (dance_video 'good'" in capsys.readouterr().out
    assert main(["validate", str(spec_dir / "good.yaml"), str(spec_dir / "bad.yaml")]) == 2
    err = capsys.readouterr().err.splitlines()
    bad = spec_dir / "bad.yaml"
    assert err[0].startswith(f"{bad}:4:33: motion.path: ") and "file does not exist" in err[0]
    assert err[1].startswith(f"{bad}:5:1: colour: unknown field 'colour'")
    assert err[2] == "dh: 2 error(s) in 1 spec(s)"


def test_run_refuses_invalid_specs_before_any_work(
    spec_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--json", str(spec_dir / "bad.yaml")]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "unknown field 'colour'" in out.err


def test_catalog_and_models_json_on_empty_home(dh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["catalog", "show", "deadbeef"]) == 1
    assert "no production with id 'deadbeef'" in capsys.readouterr().err
    assert main(["models", "list", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    ids = {m["id"] for m in listing["models"]}
    assert "dwpose_yolox_l" in ids and not any(m["installed"] for m in listing["models"])
    assert listing["models_dir"] == str(dh_home / "models")


def test_models_add_verify_roundtrip(
    dh_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from onnx import TensorProto, helper, save_model

    f = tmp_path / "yolox_l.onnx"
    f.write_bytes(b"not really onnx but hashed")
    assert main(["models", "add", "dwpose_yolox_l", str(f)]) == 1  # refused before any hash is pinned
    assert "is not a valid ONNX model" in capsys.readouterr().err
    x = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 3, 8, 8])
    graph = helper.make_graph([helper.make_node("Identity", ["images"], ["out"])], "g", [x], [y])
    save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(f))
    assert main(["models", "add", "dwpose_yolox_l", str(f)]) == 0
    assert "sha256" in capsys.readouterr().out
    assert main(["models", "verify", "dwpose_yolox_l"]) == 0
    installed = dh_home / "models" / "dwpose_yolox_l" / "yolox_l.onnx"
    installed.chmod(0o644)
    installed.write_bytes(b"tampered")
    assert main(["models", "verify", "dwpose_yolox_l"]) == 1
    assert "corrupt or wrong file" in capsys.readouterr().out


def test_console_script_exit_code_for_invalid_spec(spec_dir: Path) -> None:
    dh = Path(sys.executable).with_name("dh")
    proc = subprocess.run([str(dh), "validate", str(spec_dir / "bad.yaml")], capture_output=True, text=True)
    assert proc.returncode == 2 and "bad.yaml:5:1: colour" in proc.stderr


def test_schema_check_passes_on_checked_in_files() -> None:
    assert main(["schema", "--check"]) == 0
