"""`dh run`: the JSON contract, exit codes, and resuming after the process is killed mid-production."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dh.cli import main
from dh.commands.run_cmd import exit_code
from dhcore.catalog.repo import Catalog

SPEC = """\
version: 1
kind: dance_video
name: {name}
subject: {{image: assets/astronaut.png}}
motion: {{type: {motion_type}, path: {motion}}}
animate: {{backend: warp, width: {size}, height: {size}}}
"""


def spec(folder: Path, name: str, motion: str = "assets/dance.pose.npz", size: int = 256) -> Path:
    motion_type = "video" if motion.endswith(".mp4") else "keypoints"
    path = folder / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, motion=motion, motion_type=motion_type, size=size))
    return path


def test_run_json_contract_on_a_driving_video(
    prefect_api: None, demo_assets: Path, dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "--json", str(spec(demo_assets, "from-video", motion="assets/dancer.mp4"))])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert result["status"] in ("succeeded", "needs_review") and len(result["production_id"]) == 32
    assert code == (0 if result["status"] == "succeeded" else 3)
    assert (result["error"] is None) == (result["status"] == "succeeded")
    video = Path(result["outputs"]["video"])
    assert video.is_absolute() and video.is_file()
    for name in ("pose_pck", "face_match_rate"):
        assert 0.0 <= result["metrics"][name] <= 1.0, name
    assert {"name", "cache_hit", "seconds", "frames"} <= set(result["stages"][0])
    names = [s["name"] for s in result["stages"]]
    assert names.count("pose.extract") == 2  # the photo and the driving video
    assert result["timings"]["prefect_startup_seconds"] is not None


def test_exit_code_is_the_worst_status() -> None:
    assert exit_code({"succeeded"}) == 0
    assert exit_code({"succeeded", "needs_review"}) == 3
    assert exit_code({"needs_review", "failed"}) == 1 and exit_code({"crashed"}) == 1


def test_failed_production_exits_1_and_reports_json(
    prefect_api: None, demo_assets: Path, dh_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dhcore.pose.keypoints import J, PoseSequence

    # a motion that passes validation (a visible body) but has no neck to align on: the photo is
    # checked at validation now, so the production itself must be what fails
    motion = PoseSequence.empty(10, 256, 256, 24.0)
    body = motion.body.copy()
    for name in ("r_wrist", "l_wrist", "r_ankle", "l_ankle"):
        body[:, J[name]] = (0.5, 0.7, 0.9)
    motion.replace(body=body).save(demo_assets / "assets" / "no_neck.pose.npz")
    path = spec(demo_assets, "no-neck", motion="assets/no_neck.pose.npz")
    assert main(["run", "--json", str(path)]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "failed" and "neck" in result["error"]
    assert Catalog().show_production(result["production_id"])["status"] == "failed"


def _api_env(home: Path) -> dict[str, str]:
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "DH_HOME": str(home), "PREFECT_API_URL": str(PREFECT_API_URL.value())}


def test_kill_during_animation_then_rerun_resumes_from_cache(
    prefect_api: None, demo_assets: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    env = _api_env(home)
    path = spec(demo_assets, "killed", size=512)
    dh = str(Path(sys.executable).with_name("dh"))
    proc = subprocess.Popen(
        [dh, "run", str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    catalog = Catalog(f"sqlite:///{home / 'catalog.db'}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            prods = catalog.list_productions()
            stages = catalog.show_production(prods[0]["production_id"])["stages"] if prods else []
        except Exception:  # noqa: BLE001 - the database may not exist yet
            stages = []
        if any(s["name"] == "animate.warp" and s["status"] == "running" for s in stages):
            break
        time.sleep(0.05)
    assert proc.poll() is None, f"dh run ended before animation: {proc.stderr.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    [dead] = catalog.list_productions()
    assert dead["status"] == "running"  # nobody could close it

    rerun = subprocess.run(
        [dh, "run", "--json", str(path)], env=env, capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode in (0, 3), rerun.stderr[-3000:]
    result = json.loads(rerun.stdout)
    assert rerun.returncode == (0 if result["status"] == "succeeded" else 3)
    crashed = catalog.show_production(dead["production_id"])
    assert crashed["status"] == "crashed"
    assert [s["status"] for s in crashed["stages"] if s["name"] == "animate.warp"] == ["crashed"]
    hits = {s["name"]: s["cache_hit"] for s in result["stages"]}
    assert hits["pose.extract"] and hits["pose.align"] and hits["pose.render"]
    assert not hits["animate.warp"] and result["status"] in ("succeeded", "needs_review")
    assert Path(result["outputs"]["video"]).is_file()


def _clean_prefect_env(home: Path, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, "DH_HOME": str(home), "PREFECT_HOME": str(tmp_path / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", **extra}  # fmt: skip


def test_run_when_prefect_does_not_start_records_the_failure_and_says_what_to_do(
    demo_assets: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    # a zero start-up timeout: the ephemeral API can never answer in time (a slow machine, made certain)
    env = _clean_prefect_env(home, tmp_path, PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="0")
    path = spec(demo_assets, "no-api")
    done = subprocess.run(
        [sys.executable, "-m", "dh.cli", "run", "--json", str(path)], env=env, capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "failed"
    assert str(path) in result["error"] and "prefect server start" in result["error"]
    assert "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS" in result["error"]
    recorded = Catalog(f"sqlite:///{home / 'catalog.db'}").show_production(result["production_id"])
    assert recorded["status"] == "failed" and recorded["error"] == result["error"]


@pytest.mark.slow
def test_a_cached_rerun_ends_with_prefects_record_complete_and_no_traceback(
    demo_assets: Path, tmp_path: Path
) -> None:
    """A fully cached run ends about a second after it starts, while Prefect's temporary server may
    still be writing its task-run states (one event at a time, seconds behind on a busy machine). Without
    waiting for them, the process's exit stopped the server mid-write: `Error flushing 1 events` with a
    CancelledError traceback, and task runs missing or left Running in Prefect's database."""
    home = tmp_path / "home"
    env = _clean_prefect_env(home, tmp_path)
    argv = [sys.executable, "-m", "dh.cli", "run", "--json", str(spec(demo_assets, "cached-twice"))]
    for _ in range(2):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode in (0, 3), done.stderr[-3000:]
        assert "Traceback" not in done.stderr, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["stages"] and all(s["cache_hit"] for s in result["stages"])
    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as db:  # the temporary server's own record
        runs = db.execute("SELECT id FROM flow_run ORDER BY created").fetchall()
        states = db.execute("SELECT state_type FROM task_run WHERE flow_run_id = ?", runs[-1]).fetchall()
    assert len(runs) == 2
    assert sorted(s for (s,) in states) == ["COMPLETED"] * len(result["stages"])


def test_submit_without_a_server_says_what_to_start(demo_assets: Path, tmp_path: Path) -> None:
    path = spec(demo_assets, "nowhere")
    dh = [sys.executable, "-m", "dh.cli", "submit", str(path)]
    unset = subprocess.run(dh, env=_clean_prefect_env(tmp_path, tmp_path), capture_output=True, text=True)
    assert unset.returncode == 1 and "Traceback" not in unset.stderr
    assert "PREFECT_API_URL is not set" in unset.stderr and "prefect server start" in unset.stderr
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    down = subprocess.run(
        dh, env=_clean_prefect_env(tmp_path, tmp_path, PREFECT_API_URL=url), capture_output=True, text=True
    )
    assert down.returncode == 1 and "Traceback" not in down.stderr
    assert f"no Prefect server answers at PREFECT_API_URL={url}" in down.stderr


def test_dh_run_starts_its_flow_without_heartbeats_and_keeps_every_other_setting() -> None:
    from prefect.settings import get_current_settings

    from dh.commands.run_cmd import without_heartbeats

    before = get_current_settings()
    assert before.flows.heartbeat_frequency is not None  # Prefect's default: a heartbeat every 180 s
    with without_heartbeats():
        inside = get_current_settings()
        assert inside.flows.heartbeat_frequency is None
        assert inside.model_dump(exclude={"flows"}) == before.model_dump(exclude={"flows"})
        assert inside.flows.model_dump(exclude={"heartbeat_frequency"}) == before.flows.model_dump(
            exclude={"heartbeat_frequency"}
        )
    assert get_current_settings().flows.heartbeat_frequency == before.flows.heartbeat_frequency


def test_the_human_summary_prints_every_figure_of_any_kind(capsys: pytest.CaptureFixture[str]) -> None:
    from dh.commands.run_cmd import _print_human

    _print_human({
        "production_id": "p1", "name": "grace-talks", "status": "needs_review",
        "error": "quality gates: face_found_rate 0.40 is below 0.90", "outputs": {"video": "/v.mp4"},
        "warnings": [], "metrics": {"lipsync_peak": 0.8734, "face_found_rate": 0.4, "note": "x"},
    })  # fmt: skip
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "production p1  'grace-talks'  needs_review"
    assert "  lipsync_peak: 0.873" in out and "  face_found_rate: 0.400" in out
    assert not any("note" in line for line in out)
