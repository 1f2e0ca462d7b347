"""The batch flow: run every spec in an inbox folder that the catalog has not produced yet.

Deployed on a schedule (prefect.yaml); dedupe is by the spec's content hash, so re-dropping
an unchanged spec does nothing and an edited spec runs again (re-using cached stages).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from dhcore import config
from dhcore.catalog.repo import Catalog
from dhcore.spec.loader import SpecError, load_spec
from flows.kinds import flow_for_kind


@task(name="already-produced", cache_policy=NO_CACHE)
def already_produced(spec_sha256: str) -> str | None:
    """Id of a succeeded or running production of this exact spec."""
    return Catalog().produced_spec(spec_sha256)


@flow(name="batch-inbox", log_prints=False)
def batch_inbox(inbox: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    log = get_run_logger()
    folder = Path(inbox).expanduser().resolve() if inbox else config.inbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    for path in sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))[:limit]:
        try:
            loaded = load_spec(path)
        except SpecError as exc:
            log.error("invalid spec, skipped:\n%s", exc)
            results.append({"spec": str(path), "status": "invalid", "error": str(exc)})
            continue
        if existing := already_produced(loaded.sha256):
            log.info("%s: already produced by %s", path.name, existing)
            results.append({"spec": str(path), "status": "skipped", "production_id": existing})
            continue
        state = flow_for_kind(loaded.kind)(spec_path=str(path), return_state=True)
        summary = state.result(raise_on_failure=False) if state.is_completed() else None
        results.append({
            "spec": str(path), "status": "succeeded" if state.is_completed() else "failed",
            "production_id": summary.get("production_id") if isinstance(summary, dict) else None,
            "error": None if state.is_completed() else state.message,
        })  # fmt: skip
    log.info(
        "batch: %s",
        {s: sum(r["status"] == s for r in results) for s in ("succeeded", "failed", "skipped", "invalid")},
    )
    return results
