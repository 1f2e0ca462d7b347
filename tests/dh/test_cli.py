"""The CLI contract: exit codes, located validation errors, JSON outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
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


def _bad_photos(folder: Path) -> dict[str, tuple[str, str]]:
    """Reference photos issue 8 names, made from real media: name -> (photo, what validate says)."""
    from dhcore.media.frames import iter_frames
    from tests import realdata

    def save(name: str, rgb: np.ndarray) -> str:
        cv2.imwrite(str(folder / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        return name

    empty = next(iter_frames(realdata.empty_scene_clip(folder / "empty.nut", frames=1), chunk=1))[0]
    strip = cv2.resize(realdata.rgb("footballer")[150:230], (2000, 100), interpolation=cv2.INTER_AREA)
    return {
        "nobody": (save("lawn.png", empty), "no person found in the reference photo (detector mediapipe)"),
        "strip": (save("strip.png", strip), "the photo is 2000x100, an aspect ratio over 4:1"),
    }


def test_validate_locates_each_unusable_reference_photo(
    spec_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, (photo, says) in _bad_photos(spec_dir).items():
        spec = spec_dir / f"{name}.yaml"
        spec.write_text(SPEC.replace("person.png", photo))
        assert main(["validate", str(spec)]) == 2, name
        err = capsys.readouterr().err
        first = err.splitlines()[0]
        assert first.startswith(f"{spec}:3:18: subject.image: {spec_dir / photo}: {says}"), first
        assert "Traceback" not in err


def test_validate_warns_that_only_the_head_of_a_photo_cut_off_at_the_neck_moves(
    spec_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests import realdata

    for name, rgb in (
        ("face.png", realdata.rgb("face_crop")),
        ("chin.png", realdata.rgb("grace_hopper")[:370]),
    ):
        cv2.imwrite(str(spec_dir / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        spec = spec_dir / f"{name}.yaml"
        spec.write_text(SPEC.replace("person.png", name))
        assert main(["validate", str(spec)]) == 0, name
        err = capsys.readouterr().err
        assert err.startswith(
            f"{spec}: warning: subject.image: {spec_dir / name}: only a head is shown (cut off at the neck): "
            "its position, size and tilt follow the driver; the body's motion is not shown"
        ), err
        assert "Traceback" not in err


def test_validate_warns_which_person_of_a_group_photo_is_animated(
    spec_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests import realdata

    group = realdata.path("six_people")
    (spec_dir / "group.jpg").write_bytes(group.read_bytes())
    spec = spec_dir / "group.yaml"
    spec.write_text(SPEC.replace("person.png", "group.jpg"))
    assert main(["validate", str(spec)]) == 0
    warning = (
        f"{spec}: warning: subject.image: {spec_dir / 'group.jpg'}: 5 people in the photo; animating person 2"
    )
    assert capsys.readouterr().err.startswith(warning)
    spec.write_text(
        SPEC.replace("person.png", "group.jpg").replace("{image: group.jpg}", "{image: group.jpg, person: 0}")
    )
    assert main(["validate", str(spec)]) == 0
    assert "5 people in the photo; animating person 0" in capsys.readouterr().err


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
    assert "dwpose_yolox_l" in ids and not any(
        m["installed"] for m in listing["models"] if m["format"] != "wheel"
    )
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


def test_every_command_and_option_has_help_and_there_is_a_version(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from dh.cli import build_parser

    missing = []

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                helps = {c.dest: c.help for c in action._choices_actions}
                for name, child in action.choices.items():
                    missing.extend([f"{path} {name}"] if not helps.get(name) else [])
                    walk(child, f"{path} {name}")
            elif not action.help:
                missing.append(f"{path} {action.dest}")

    walk(build_parser(), "dh")
    assert missing == []
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.startswith("dh ")


def test_the_lazy_command_list_matches_the_commands_own_parsers() -> None:
    """`dh --help` lists every command from the table in dh.cli without importing them; the lines
    must say what the commands' own parsers say."""
    import argparse

    from dh.cli import COMMANDS, build_parser

    def helps(parser: argparse.ArgumentParser) -> dict[str, str | None]:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return {c.dest: c.help for c in action._choices_actions}

    full = helps(build_parser())
    assert helps(build_parser("")) == full == {name: line for name, (_, line) in COMMANDS.items()}
    assert helps(build_parser("submit")) == full


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "DH_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dh.cli", "catalog", "list"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    proc.stdout.close()  # like `dh catalog list | head -0`
    stderr = proc.stderr.read().decode()
    assert proc.wait() == 141 and "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def _catalog_with_history(home: Path, deliver_pose: bool = False) -> tuple[str, str, str]:
    """Three productions: one succeeded with a metric and a shared input, one failed, one left running by a
    process that has died."""
    from dhcore.catalog.db import session_scope
    from dhcore.catalog.models import Production
    from dhcore.catalog.repo import Catalog

    catalog = Catalog()
    sid = catalog.record_spec("a" * 64, "dance_video", "ok", "/s/ok.yaml", "", {})
    good = catalog.start_production(sid, "ok", None)
    photo = home / "me.png"
    photo.write_bytes(b"photo")
    source = catalog.register_input(photo, "image", "reference")
    refs = {}
    for stage, inputs in (("pose", {"image": source}), ("animate", {"image": source})):
        step = catalog.start_step(good, stage, "1", {}, None, f"k-{stage}", inputs | refs)
        scratch = catalog.store.scratch()
        (scratch / "o.bin").write_bytes(stage.encode() * 100)
        stored = catalog.store.ingest(scratch / "o.bin")
        refs[stage] = catalog.finish_step(step, {"out": (stored, "json", {})}, {}, {}, 1, 0.1)["out"]
    catalog.set_outputs(
        good, {"video": refs["animate"].id} | ({"skeleton": refs["pose"].id} if deliver_pose else {})
    )
    catalog.add_metrics(good, {"pose_pck": 0.875})
    catalog.finish_production(good, "succeeded")
    bad = catalog.start_production(
        catalog.record_spec("b" * 64, "photo_shoot", "bad", "/s/b.yaml", "", {}), "bad", None
    )
    catalog.finish_production(bad, "failed", "no face")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lost = catalog.start_production(sid, "lost", None)
    with session_scope() as s:
        s.get(Production, lost).pid = dead.pid
    return good, bad, lost


def test_catalog_list_filters_shows_metrics_sizes_and_crashed_runs(
    dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dh_home.mkdir(parents=True)
    good, bad, lost = _catalog_with_history(dh_home)
    assert main(["catalog", "list", "--json"]) == 0
    rows = {r["production_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[lost]["status"] == "crashed"  # its process died: not `running` forever
    assert rows[good]["metrics"] == {"pose_pck": 0.875} and rows[good]["store_bytes"] == 1100
    assert rows[bad]["kind"] == "photo_shoot" and rows[bad]["store_bytes"] == 0
    assert main(["catalog", "list", "--status", "failed"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith(bad) and "photo_shoot" in out[0]
    assert main(["catalog", "list", "--kind", "dance_video", "--status", "succeeded"]) == 0
    [line] = capsys.readouterr().out.strip().splitlines()
    assert line.startswith(good) and "pck 0.88" in line and "1.1 KiB" in line


def test_lineage_prints_a_shared_subtree_once(dh_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dh_home.mkdir(parents=True)
    good, _, _ = _catalog_with_history(dh_home, deliver_pose=True)
    assert main(["catalog", "lineage", good]) == 0
    out = capsys.readouterr().out
    # skeleton (pose) is printed in full once; under video it is referred to, not repeated
    assert out.count("<- pose v1") == 2 and out.count("(see above)") == 1
    assert out.count("me.png") == 2  # the photo: under pose once, and as animate's own input


def test_gc_prunes_intermediates_and_the_list_shows_it(
    dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dh_home.mkdir(parents=True)
    good, _, _ = _catalog_with_history(dh_home)
    assert main(["gc", "--older-than", "1d", "--json"]) == 0  # everything is younger than a day
    assert json.loads(capsys.readouterr().out)["pruned_assets"] == 0
    assert main(["gc", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "dry_run": True,
        "pruned_assets": 1,
        "freed_bytes": 400,
        "kept_intermediate_bytes": 0,
    }  # fmt: skip  (the pose intermediate goes; the delivered video and the input photo stay)
    assert main(["gc"]) == 0
    assert "freed 400 B" in capsys.readouterr().out
    assert main(["catalog", "list", "--json"]) == 0
    row = next(r for r in json.loads(capsys.readouterr().out) if r["production_id"] == good)
    assert (row["store_bytes"], row["pruned_bytes"]) == (700, 400)


def test_progress_line_names_the_stage_frames_and_eta() -> None:
    from dh.commands.progress import progress_line

    info = {
        "stages": [
            {"name": "pose.extract", "status": "succeeded"},
            {"name": "animate.warp", "status": "running"},
        ]
    }
    assert progress_line(None, None, 3.2) == "[    3 s] starting"
    assert progress_line(info, None, 12.0) == "[   12 s] 1 stage(s) done; animate.warp running"
    line = progress_line(info, "animate.warp: 40/192 frames, ETA 38 s", 20.0)
    assert line == "[   20 s] 1 stage(s) done; animate.warp: 40/192 frames, ETA 38 s"
