"""The batch flow: run every spec in an inbox folder that the catalog has not produced yet.

Deployed on a schedule (prefect.yaml); dedupe is by the spec's content hash, so re-dropping
an unchanged spec does nothing and an edited spec runs again (re-using cached stages).
An operator can trust the run's colour: it ends failed when a production failed (or a new
invalid spec appeared), and its summary artifact lists every spec with status, reason and
output. A failing spec is retried by later runs up to `max_attempts` times, an invalid one is
reported once per content; productions whose flow run ended without closing them are marked
crashed first, so none blocks its spec forever.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, tags, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Failed

from dhcore import config
from dhcore.catalog import ops
from dhcore.catalog.repo import Catalog
from dhcore.routing import deployment_for, run_tags
from dhcore.spec.loader import LoadedSpec, SpecError, load_spec
from dhcore.submission import pack
from flows.kinds import flow_for_kind
from tasks.production import publish_batch_summary, reconcile_lost

#: failed or crashed productions of one spec after which the batch stops retrying it
DEFAULT_MAX_ATTEMPTS = 3


def batch_run_name() -> str:
    inbox = flow_run.parameters.get("inbox") or str(config.inbox_dir())
    return f"batch-{Path(inbox).name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


@task(name="already-produced", cache_policy=NO_CACHE)
def already_produced(spec_sha256: str) -> str | None:
    """Id of a succeeded or running production of this exact spec."""
    return Catalog().produced_spec(spec_sha256)


def _outcome(spec: str, production_id: str | None, status: str, error: str | None = None) -> dict[str, Any]:
    return {"spec": spec, "status": status, "production_id": production_id, "error": error}


def _closed(production_id: str, fallback: str | None) -> dict[str, Any]:
    """Status and reason as the catalog recorded them (the flow run's message when it has none)."""
    try:
        info = Catalog().show_production(production_id)
    except KeyError:
        return {"status": "failed", "error": fallback or "the production never started"}
    return {
        "status": info["status"],
        "error": info["error"] or (None if info["status"] == "succeeded" else fallback),
    }


def _run_here(loaded: LoadedSpec, production_id: str) -> dict[str, Any]:
    state = flow_for_kind(loaded.kind)(
        spec_path=str(loaded.path), production_id=production_id, return_state=True
    )
    return _outcome(str(loaded.path), production_id, **_closed(production_id, state.message))


def _run_on_workers(specs: list[tuple[LoadedSpec, str]], batch: str) -> list[dict[str, Any]]:
    """Submit each spec to its deployment (CPU or GPU pool) and wait for all of them.

    Each goes as its text and its inputs' keys in the shared store (dhcore.submission), so a worker
    that mounts the inbox elsewhere, or not at all, runs it."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    runs = []
    for loaded, pid in specs:
        parameters = {"submitted": pack(loaded).model_dump(mode="json"), "production_id": pid}
        run = run_deployment(
            deployment_for(loaded.spec), parameters=parameters, timeout=0, flow_run_name=loaded.name,
            tags=run_tags(loaded.spec, batch),
        )  # fmt: skip
        runs.append((loaded, pid, run))
    pending = {run.id for _, _, run in runs}
    states: dict[Any, Any] = {}
    with get_client(sync_client=True) as client:
        while pending:
            for run_id in list(pending):
                state = client.read_flow_run(run_id).state
                if state is not None and state.is_final():
                    states[run_id] = state
                    pending.discard(run_id)
            if pending:
                time.sleep(5)
    return [
        _outcome(str(loaded.path), pid, **_closed(pid, states[run.id].message)) for loaded, pid, run in runs
    ]


@flow(name="batch-inbox", flow_run_name=batch_run_name, log_prints=False)
def batch_inbox(
    inbox: str | None = None,
    limit: int = 100,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    run_in: Literal["process", "workers"] = "process",
) -> Any:
    """Run the inbox's new specs: in this process, or (`workers`) on the deployments' pools by device."""
    log = get_run_logger()
    folder = Path(inbox).expanduser().resolve() if inbox else config.inbox_dir()
    folder.mkdir(parents=True, exist_ok=True)
    batch = flow_run.get_name() or "batch"
    for line in reconcile_lost():
        log.warning(line)
    results: list[dict[str, Any]] = []
    todo: list[tuple[LoadedSpec, str]] = []
    queued: dict[str, str] = {}  # spec sha256 -> production id of this batch (copies are skipped)
    new_invalid = 0
    for path in sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))[:limit]:
        try:
            loaded = load_spec(path)
        except SpecError as exc:
            if ops.note_rejected(hashlib.sha256(path.read_bytes()).hexdigest(), str(path), str(exc)):
                new_invalid += 1
                log.error("invalid spec, skipped:\n%s", exc)
                results.append(_outcome(str(path), None, "invalid", str(exc)))
            else:
                results.append(
                    _outcome(str(path), None, "invalid (reported before)", str(exc).splitlines()[0])
                )
            continue
        if existing := queued.get(loaded.sha256) or already_produced(loaded.sha256):
            log.info("%s: already produced by %s", path.name, existing)
            results.append(_outcome(str(path), existing, "skipped"))
            continue
        if (attempts := ops.failed_attempts(loaded.sha256)) >= max_attempts:
            reason = f"failed {attempts} times (max_attempts {max_attempts}): fix the spec or its inputs"
            results.append(_outcome(str(path), None, "gave up", reason))
            continue
        queued[loaded.sha256] = uuid.uuid4().hex
        todo.append((loaded, queued[loaded.sha256]))
    if run_in == "workers":
        results += _run_on_workers(todo, batch)
    else:
        for loaded, pid in todo:
            with tags(*run_tags(loaded.spec, batch)):
                results.append(_run_here(loaded, pid))
    counts = {s: sum(r["status"] == s for r in results) for s in sorted({r["status"] for r in results})}
    log.info("batch %s: %s", batch, counts)
    publish_batch_summary(batch, folder, results)
    failed = [r for r in results if r["status"] in ("failed", "crashed")]
    if failed or new_invalid:
        return Failed(
            message=f"{len(failed)} production(s) failed, {new_invalid} new invalid spec(s): see the batch summary",
            data=results,
        )
    return results
