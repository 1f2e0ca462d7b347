"""Open, close and report a production in the catalog (plain calls in the flow, retried like tasks)."""

from __future__ import annotations

import contextvars
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import (
    create_image_artifact,
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
)
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.actions import ArtifactUpdate
from prefect.context import FlowRunContext

from dhcore import config
from dhcore.catalog import ops
from dhcore.catalog.objstore import ObjectStore, open_store
from dhcore.catalog.repo import AssetRef, Catalog
from dhcore.plan import Ref
from dhcore.report import contact_sheet_jpeg, name_user_files, output_link, production_markdown
from dhcore.runner import StepOutcome
from dhcore.spec.loader import LoadedSpec
from dhcore.stage import Progress
from tasks.step import RunContext, with_retries


@with_retries
def open_production(loaded: LoadedSpec, production_id: str | None) -> RunContext:
    """Record the spec and a running production row; mark rows of dead earlier runs crashed."""
    catalog = Catalog(config.database_url(), open_store())
    crashed = catalog.mark_crashed()
    if crashed:
        get_run_logger().warning("marked %d production(s) of dead processes as crashed", crashed)
    spec_id = catalog.record_spec(
        loaded.sha256,
        loaded.kind,
        loaded.name,
        loaded.origin or str(loaded.path),
        loaded.raw,
        loaded.normalized(),
    )
    flow_ctx = FlowRunContext.get()
    flow_run_id = str(flow_ctx.flow_run.id) if flow_ctx and flow_ctx.flow_run else None
    pid = catalog.start_production(spec_id, loaded.name, flow_run_id, production_id)
    get_run_logger().info("production %s (%s '%s')", pid, loaded.kind, loaded.name)
    return RunContext(
        production_id=pid, database_url=config.database_url(), store_root=str(catalog.store.root)
    )


@with_retries
def register_input(
    ctx: RunContext, path: Path, kind: str, role: str, media: dict[str, Any] | None = None
) -> AssetRef:
    """Copy a user's input into the store so the production stays reproducible if the file changes."""
    return ctx.catalog().register_input(Path(path), kind, role, media)


@with_retries
def close_production(
    ctx: RunContext,
    outputs: dict[str, AssetRef],
    metrics: dict[str, float],
    warnings: list[str] | None = None,
    status: str = "succeeded",
    reasons: list[str] | None = None,
    sheet: ContactSheetAhead | None = None,
) -> dict[str, Any]:
    """Deliver the outputs, store production metrics and warnings, publish the report artifacts.

    `status` is the quality gates' verdict (dhcore.quality); its `reasons` become the production's error;
    `sheet` the report's contact sheet when it was made while the last stages ran."""
    catalog = ctx.catalog()
    catalog.set_outputs(ctx.production_id, {role: ref.id for role, ref in outputs.items()})
    catalog.add_metrics(ctx.production_id, metrics)
    error = "quality gates: " + "; ".join(reasons) if reasons else None
    catalog.finish_production(ctx.production_id, status, error, warnings=warnings)
    info = catalog.show_production(ctx.production_id)
    series = {
        name: catalog.series(ctx.production_id, name) for name in REPORT_SERIES if name in info["series"]
    }
    flush_progress()  # the last progress update (sent during the bookkeeping above) before the report
    publish_report(info, series, sheet.result() if sheet else None)
    return info


class ContactSheetAhead:
    """The report's contact sheet of the output video, made in a thread as soon as its step ends.

    The stages after it (extras, figures) compute for seconds; decoding the video alongside them
    instead of after the last one takes ~0.3 s off every production's end.
    """

    def __init__(self, deliverables: dict[str, Ref]) -> None:
        self._video = deliverables.get("video")
        self._thread: threading.Thread | None = None
        self._sheet: bytes | None = None

    def step_done(self, call_id: str, outcome: StepOutcome) -> None:
        """Start the sheet when `call_id` made the video (walk's hook)."""
        if self._video is None or self._thread is not None or self._video.call != call_id:
            return
        ref = outcome.out(self._video.role)
        self._thread = threading.Thread(target=self._make, args=(ref,), name="dh-contact-sheet", daemon=True)
        self._thread.start()

    def _make(self, ref: AssetRef) -> None:
        try:
            self._sheet = contact_sheet_jpeg({"outputs": {"video": {"path": ref.uri, "kind": ref.kind}}})
        except Exception:  # noqa: BLE001 - a report without a picture beats no report
            self._sheet = None

    def result(self) -> bytes | None:
        """The sheet (None when its step never ran here or the video could not be read)."""
        if self._thread is None:
            return None
        self._thread.join()
        return self._sheet


@contextmanager
def production_guard(ctx: RunContext) -> Iterator[None]:
    """Wrap a flow's work: any error marks the production failed with the reason, then propagates."""
    try:
        yield
    except BaseException as exc:
        get_run_logger().error("production %s failed: %s", ctx.production_id, exc)
        fail_production(ctx, exc)
        raise


def fail_production(ctx: RunContext, error: BaseException) -> None:
    """Mark the production failed with the reason (and publish the report of what ran)."""
    catalog = ctx.catalog()
    message = f"{type(error).__name__}: {error}"
    try:
        message = name_user_files(message, catalog.show_production(ctx.production_id))
    except KeyError:
        pass
    catalog.finish_production(ctx.production_id, "failed", message)
    try:
        publish_report(catalog.show_production(ctx.production_id))
    except Exception:  # noqa: BLE001 - the report is best effort on the error path
        pass


#: a running production whose flow run the server does not know (e.g. recorded by an ephemeral API)
#: is called lost only after this long
LOST_AFTER = timedelta(hours=24)


@task(name="reconcile-lost-productions", cache_policy=NO_CACHE)
def reconcile_lost() -> list[str]:
    """Mark crashed the `running` productions whose flow run has ended: one line per production.

    host+pid catches dead processes on this host only; the flow run's state in Prefect also
    covers a worker host that never came back (its run ends Crashed/Failed/Cancelled).
    """
    from prefect.exceptions import ObjectNotFound

    dead = Catalog().mark_crashed()
    lines = [f"{dead} production(s) of dead processes on this host marked crashed"] if dead else []
    now = datetime.now(UTC)
    with get_client(sync_client=True) as client:
        for prod in ops.running_productions():
            if not prod.flow_run_id:
                continue
            try:
                state = client.read_flow_run(UUID(prod.flow_run_id)).state
            except ObjectNotFound:
                created = prod.created_at if prod.created_at.tzinfo else prod.created_at.replace(tzinfo=UTC)
                if now - created < LOST_AFTER:
                    continue
                reason = f"flow run {prod.flow_run_id} is unknown to the Prefect server"
            else:
                if state is None or not state.is_final():
                    continue
                reason = f"flow run {prod.flow_run_id} ended {state.type.value}" + (
                    f" ({state.message})" if state.message else ""
                )
            reason += f" while the production was running on {prod.host} (pid {prod.pid})"
            if ops.mark_lost(prod.production_id, reason):
                lines.append(f"production {prod.production_id} marked crashed: {reason}")
    return lines


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:40] or "production"


def publish_batch_summary(batch: str, inbox: Path, results: list[dict[str, Any]]) -> None:
    """One table artifact per batch run: spec, status, reason, production and its output."""
    catalog = Catalog()
    rows = []
    for r in results:
        output = ""
        if r.get("production_id") and r["status"] in ("succeeded", "skipped", "needs_review"):
            try:
                output = output_link(catalog.show_production(r["production_id"]))
            except KeyError:
                output = ""
        reason = (r.get("error") or "").strip().splitlines()
        rows.append({
            "spec": Path(r["spec"]).name, "status": r["status"], "reason": " | ".join(reason)[:500],
            "production": r.get("production_id") or "", "output": output,
        })  # fmt: skip
    create_table_artifact(
        rows, key=f"dh-batch-{_slug(inbox.name)}", description=f"{batch}: every inbox spec and its outcome"
    )


@dataclass
class _ProductionProgress:
    artifact_id: Any = None
    stage: str = ""
    stage_started: float = 0.0
    last_update: float = 0.0
    text: str = ""


_progress: dict[str, _ProductionProgress] = {}
_progress_lock = threading.Lock()
#: seconds between two updates of a production's progress artifact (the UI refreshes every few seconds)
PROGRESS_EVERY = 2.0


class _ProgressSender:
    """Sends progress updates from one background thread, latest value per artifact wins.

    A stage's frame loop calls the progress callback; it must not wait on an API round trip
    (tens of ms each on a busy host, counted as the stage's compute).
    """

    def __init__(self) -> None:
        self._latest: dict[Any, tuple[float, str]] = {}
        self._busy = False
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None

    def send(self, artifact_id: Any, pct: float, text: str) -> None:
        with self._cv:
            self._latest[artifact_id] = (pct, text)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="dh-progress", daemon=True)
                self._thread.start()
            self._cv.notify()

    def flush(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until the updates handed over so far have been sent."""
        with self._cv:
            self._cv.wait_for(lambda: not self._latest and not self._busy, timeout)

    def _run(self) -> None:
        client = None  # one for the thread's life: a new client per update loads TLS certificates each time
        while True:
            with self._cv:
                self._cv.wait_for(lambda: bool(self._latest))
                batch, self._latest, self._busy = self._latest, {}, True
            for artifact_id, (pct, text) in batch.items():
                try:
                    client = client or get_client(sync_client=True)
                    send_progress(client, artifact_id, pct, text)
                except Exception:  # noqa: BLE001 - progress is best effort; the next update starts afresh
                    client = None
            with self._cv:
                self._busy = False
                self._cv.notify_all()


def send_progress(client: SyncPrefectClient, artifact_id: UUID, pct: float, text: str) -> None:
    """What prefect.artifacts.update_progress_artifact sends, through `client`."""
    client.update_artifact(artifact_id, ArtifactUpdate(data=pct, description=text))


_sender = _ProgressSender()


def flush_progress(timeout: float = 5.0) -> None:
    """Wait until the progress updates handed over so far are on the server (at most `timeout` s)."""
    _sender.flush(timeout)


def progress_for(production_id: str, stage: str, name: str | None = None) -> Progress:
    """The frame-progress callback of one stage, feeding ONE progress artifact per production.

    The artifact shows the current stage, frames done/total and an ETA for the stage; it is
    updated every PROGRESS_EVERY seconds from a background thread. Stages call it from their
    worker threads; progress is best effort and never fails a stage. (Wiring: the step runner
    passes this to each stage's work.)
    """

    def report(done: int, total: int | None) -> None:
        if not total:
            return
        now = time.monotonic()
        with _progress_lock:
            state = _progress.setdefault(production_id, _ProductionProgress())
            if state.stage != stage:
                state.stage, state.stage_started, state.last_update = stage, now, 0.0
            elapsed = now - state.stage_started
            eta = f", ETA {elapsed / done * (total - done):.0f} s" if 0 < done < total else ""
            text = state.text = f"{stage}: {done}/{total} frames{eta}"  # `dh run`'s display: always fresh
            if done < total and now - state.last_update < PROGRESS_EVERY:
                return
            state.last_update = now
            pct = round(100.0 * done / total, 1)
            try:
                if (
                    state.artifact_id is None
                ):  # created here, in the task run's context, to link it to the run
                    key = f"dh-progress-{_slug(name or production_id)}"
                    state.artifact_id = create_progress_artifact(pct, key=key, description=text)
                elif state.artifact_id != "disabled":
                    _sender.send(state.artifact_id, pct, text)
            except Exception:  # noqa: BLE001 - progress is best effort; the stage must not fail on it
                state.artifact_id = state.artifact_id or "disabled"

    return report


def progress_text(production_id: str) -> str | None:
    """The latest progress line of a production running in this process (`dh run`'s display)."""
    state = _progress.get(production_id)
    return state.text if state else None


#: per-frame series the report shows (face identity before and after refinement)
REPORT_SERIES = ("face_distance", "face_distance_raw", "face_refined")


def publish_report(
    info: dict[str, Any], series: dict[str, list[float | None]] | None = None, thumbnail: bytes | None = None
) -> None:
    """The markdown report (with a contact sheet of the output, `thumbnail` if made already, and its link)
    and the stage table.

    Prefect image artifacts need an http(s) URL the browser can load, and a local store has none:
    the contact sheet is embedded in the report as a small inline JPEG; on object storage it is
    also uploaded and an image artifact points at its (presigned) URL.
    """
    slug = _slug(info["name"])
    rows = [
        {"stage": s["name"], "status": s["status"], "cache_hit": s["cache_hit"],
         "seconds": round(s["seconds"] or 0.0, 3), "frames": s["frames"]}
        for s in info["stages"]
    ]  # fmt: skip
    # the stage table goes up while the sheet and the report are made: one API round trip less to wait for
    # (in this run's context, so the artifact is linked to it)
    with ThreadPoolExecutor(1, thread_name_prefix="dh-report") as pool:
        table = pool.submit(contextvars.copy_context().run, create_table_artifact, rows,
                            key=f"dh-stages-{slug}", description="stage timings")  # fmt: skip
        try:
            thumbnail = thumbnail or contact_sheet_jpeg(info)
        except Exception:  # noqa: BLE001 - a report without a picture beats no report
            thumbnail = None
        create_markdown_artifact(
            production_markdown(info, series, thumbnail),
            key=f"dh-report-{slug}",
            description=f"dh production {info['production_id']}",
        )
        store = open_store()
        if thumbnail and isinstance(store, ObjectStore):  # a URL the browser can load: the sheet on the store
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "contact_sheet.jpg").write_bytes(thumbnail)
                uri = store.ingest(Path(tmp) / "contact_sheet.jpg").path
            create_image_artifact(
                store.link(uri), key=f"dh-output-{slug}", description=f"output of {info['production_id']}"
            )
        table.result()
