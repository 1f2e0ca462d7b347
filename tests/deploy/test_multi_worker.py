"""Two process workers, one PostgreSQL catalog, one S3 object store, six productions submitted at
once through `dh submit`: all succeed, both workers take a share, no lock errors, and no stage is
computed twice for one cache key (the catalog's lease makes the second run wait for the first)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow

SPEC = """\
version: 1
kind: dance_video
name: multi-{n}
subject: {{image: {up}assets/astronaut.png}}
motion: {{type: keypoints, path: {up}assets/dance.pose.npz}}
animate: {{backend: warp, width: {size}, height: {size}}}
face: {{identity: {{enabled: false}}, restore: {{backend: none}}, refine: {{backend: none}}}}
# the line is under test here, not the animator's quality: no gates
quality: {{pose_pck: null, pose_pck_limbs: null, motion_follow: null, body_integrity: null,
          head_in_frame: null, body_in_frame: null, face_match_rate: null}}
"""


def test_six_productions_on_two_workers_share_one_catalog_and_store(
    prefect_server, postgres_database: str, s3_store_url: str, demo_assets: Path, tmp_path: Path
) -> None:
    from dhcore.catalog.repo import Catalog

    settings = {
        "DH_HOME": str(tmp_path / "home"), "DH_DATABASE_URL": postgres_database, "DH_STORE_URL": s3_store_url,
        "DH_ALLOWED_ROOTS": str(demo_assets),
    }  # fmt: skip
    aws_env = {k: os.environ[k] for k in
               ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}  # fmt: skip
    aws = [f"--env={k}={v}" for k, v in aws_env.items()]
    prefect_server.run([sys.executable, "-m", "dh.cli", "pools", "create", *aws], settings)
    prefect_server.run([sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"])
    # at most three runs each: a worker without a limit takes every scheduled run in its first poll, and
    # the other one, polling a moment later, finds none (seen in CI: "worker-w2.log ran nothing")
    for name in ("w1", "w2"):
        prefect_server.start_worker("dh-cpu", name, {"DH_HOME": f"/nonexistent/{name}"}, limit=3)
    specs = []
    for n in range(6):  # three sizes, two productions each: same stage keys meet on two workers
        specs.append(demo_assets / f"multi_{n}.yaml")
        specs[-1].write_text(SPEC.format(n=n, size=128 + 32 * (n % 3), up=""))
    started = time.monotonic()
    # the submitter shares the workers' store: `dh submit` puts the inputs there and sends their keys
    shared = {"DH_STORE_URL": s3_store_url, **aws_env}
    out = prefect_server.run([sys.executable, "-m", "dh.cli", "submit", *map(str, specs)], shared)
    assert out.count("submitted flow run") == 6 and "dance-video/dance-video" in out

    catalog = Catalog(postgres_database)

    def all_done() -> bool:
        rows = catalog.list_productions()
        return len(rows) == 6 and all(r["status"] != "running" for r in rows)

    prefect_server.wait_for(all_done, 540, "six productions to finish")
    wall = time.monotonic() - started
    rows = catalog.list_productions()
    assert {r["status"] for r in rows} == {"succeeded"}, [(r["name"], r["status"], r["error"]) for r in rows]
    for r in rows:
        video = catalog.show_production(r["production_id"])["outputs"]["video"]["path"]
        assert video.startswith(s3_store_url + "/")
    logs = {p.name: p.read_text() for p in prefect_server.logs.glob("worker-*.log")}
    for name, log in logs.items():
        assert "Completed()" in log, f"{name} ran nothing"  # both workers took a share
        assert "database is locked" not in log and "deadlock" not in log.lower(), name
    with create_engine(postgres_database).connect() as conn:  # each key computed once, hits elsewhere
        twice = conn.execute(text(
            "SELECT stage, cache_key FROM step_run WHERE status = 'succeeded' AND NOT cache_hit "
            "GROUP BY stage, cache_key HAVING count(*) > 1"
        )).all()  # fmt: skip
    assert twice == [], twice
    print(f"six productions on two workers: {wall:.0f} s")

    # the batch deployment in `workers` mode: a produced spec is skipped, a new one runs as a deployment run
    inbox = demo_assets / "inbox_multi"
    inbox.mkdir()
    (inbox / "old.yaml").write_text(SPEC.format(n=0, size=128, up="../"))
    (inbox / "new.yaml").write_text(SPEC.format(n=6, size=112, up="../"))
    out = prefect_server.run([sys.executable, "-m", "prefect", "deployment", "run", "batch-inbox/batch-inbox",
                              "--param", f"inbox={inbox}", "--watch", "--watch-timeout", "400"], timeout=450)  # fmt: skip
    assert "COMPLETED" in out.upper(), out[-2000:]
    rows = {r["name"]: r["status"] for r in catalog.list_productions()}
    assert len(rows) == 7 and rows["multi-6"] == "succeeded"  # multi-0 was not produced twice
