"""Tasks that open, close and report a production in the catalog."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from dhcore import config
from dhcore.catalog.repo import AssetRef, Catalog
from dhcore.catalog.store import AssetStore
from dhcore.report import production_markdown
from dhcore.spec.loader import LoadedSpec
from tasks.step import RunContext, retry_transient


@task(name="open-production", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=retry_transient)  # fmt: skip
def open_production(loaded: LoadedSpec, production_id: str | None) -> RunContext:
    """Record the spec and a running production row; mark rows of dead earlier runs crashed."""
    catalog = Catalog(config.database_url(), AssetStore())
    crashed = catalog.mark_crashed()
    if crashed:
        get_run_logger().warning("marked %d production(s) of dead processes as crashed", crashed)
    spec_id = catalog.record_spec(
        loaded.sha256, loaded.kind, loaded.name, str(loaded.path), loaded.raw, loaded.normalized()
    )
    flow_ctx = FlowRunContext.get()
    flow_run_id = str(flow_ctx.flow_run.id) if flow_ctx and flow_ctx.flow_run else None
    pid = catalog.start_production(spec_id, loaded.name, flow_run_id, production_id)
    get_run_logger().info("production %s (%s '%s')", pid, loaded.kind, loaded.name)
    return RunContext(
        production_id=pid, database_url=config.database_url(), store_root=str(catalog.store.root)
    )


@task(name="register-input", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=retry_transient)  # fmt: skip
def register_input(
    ctx: RunContext, path: Path, kind: str, role: str, media: dict[str, Any] | None = None
) -> AssetRef:
    """Copy a user's input into the store so the production stays reproducible if the file changes."""
    return ctx.catalog().register_input(Path(path), kind, role, media)


@task(name="close-production", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=retry_transient)  # fmt: skip
def close_production(
    ctx: RunContext,
    outputs: dict[str, AssetRef],
    metrics: dict[str, float],
    warnings: list[str] | None = None,
    status: str = "succeeded",
    reasons: list[str] | None = None,
) -> dict[str, Any]:
    """Deliver the outputs, store production metrics and warnings, publish the report artifacts.

    `status` is the quality gates' verdict (dhcore.quality); its `reasons` become the production's error."""
    catalog = ctx.catalog()
    catalog.set_outputs(ctx.production_id, {role: ref.id for role, ref in outputs.items()})
    catalog.add_metrics(ctx.production_id, metrics)
    error = "quality gates: " + "; ".join(reasons) if reasons else None
    catalog.finish_production(ctx.production_id, status, error, warnings=warnings)
    info = catalog.show_production(ctx.production_id)
    series = {
        name: catalog.series(ctx.production_id, name) for name in REPORT_SERIES if name in info["series"]
    }
    publish_report(info, series)
    return info


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
    catalog.finish_production(ctx.production_id, "failed", f"{type(error).__name__}: {error}")
    try:
        publish_report(catalog.show_production(ctx.production_id))
    except Exception:  # noqa: BLE001 - the report is best effort on the error path
        pass


#: per-frame series the report shows (face identity before and after refinement)
REPORT_SERIES = ("face_distance", "face_distance_raw", "face_refined")


def publish_report(info: dict[str, Any], series: dict[str, list[float | None]] | None = None) -> None:
    slug = "".join(c if c.isalnum() else "-" for c in info["name"].lower()).strip("-")[:40] or "production"
    create_markdown_artifact(
        production_markdown(info),
        key=f"dh-report-{slug}",
        description=f"dh production {info['production_id']}",
    )
    rows = [
        {"stage": s["name"], "status": s["status"], "cache_hit": s["cache_hit"],
         "seconds": round(s["seconds"] or 0.0, 3), "frames": s["frames"]}
        for s in info["stages"]
    ]  # fmt: skip
    create_table_artifact(rows, key=f"dh-stages-{slug}", description="stage timings")
