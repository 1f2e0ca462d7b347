"""`dh run SPEC... [--json]` and `dh submit SPEC...`.

`run` validates every spec first (exit 2 if any is invalid), then runs each as a Prefect flow
in this process: against the server in PREFECT_API_URL when set, else Prefect's ephemeral
API. `submit` hands the specs to the deployments of prefect.yaml for workers to pick up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from typing import Any

from dh.commands.progress import RunProgress
from dh.commands.validate_cmd import load_all
from dh.prefect_setup import configure, settle_temporary_server, uses_temporary_server
from dhcore.catalog.repo import Catalog
from dhcore.errors import DhError
from dhcore.routing import run_tags
from dhcore.spec.loader import LoadedSpec, remember


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="run specs locally as Prefect flow runs")
    p.add_argument(
        "specs", nargs="+", metavar="SPEC", help="spec files (YAML); all are validated before any runs"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object per spec on stdout")
    p.set_defaults(handler=handle_run)
    s = sub.add_parser(
        "submit",
        help="submit specs to the Prefect deployments (needs a server and a worker)",
        description="Each spec's inputs are put in the asset store (DH_STORE_URL) the workers share; the "
        "deployment gets the spec's text and the inputs' store keys, never this host's paths.",
    )
    s.add_argument(
        "specs", nargs="+", metavar="SPEC", help="spec files (YAML), each sent to its CPU or GPU deployment"
    )
    s.set_defaults(handler=handle_submit)


def summarize(info: dict[str, Any]) -> dict[str, Any]:
    """The `--json` contract: production id, status, absolute output paths, metrics, stages."""
    return {
        "production_id": info["production_id"],
        "name": info["name"],
        "status": info["status"],
        "error": info["error"],
        "outputs": _outputs(info["outputs"]),
        "metrics": info["metrics"],
        "warnings": info["warnings"],
        "stages": [
            {
                "name": s["name"],
                "cache_hit": s["cache_hit"],
                "seconds": round(s["seconds"] or 0.0, 3),
                "frames": s["frames"],
                "metrics": s["metrics"],
            }
            for s in info["stages"]
        ],
    }


def _outputs(outputs: dict[str, Any]) -> dict[str, Any]:
    """Absolute output paths by role; numbered images (image_01, ...) become one `images` list."""
    result: dict[str, Any] = {}
    for role in sorted(outputs):
        if role.startswith("image_"):
            result.setdefault("images", []).append(outputs[role]["path"])
        else:
            result[role] = outputs[role]["path"]
    return result


def without_heartbeats() -> Any:
    """Prefect's settings with flow-run heartbeats off, for the flow runs started in this context.

    A copy of the current settings with one value changed: prefect.settings.temporary_settings
    would rebuild and re-validate every setting from the environment (0.3 s on a busy host).
    """
    from prefect.context import SettingsContext, get_settings_context

    current = get_settings_context()
    flows = current.settings.flows.model_copy(update={"heartbeat_frequency": None})
    return SettingsContext(
        profile=current.profile, settings=current.settings.model_copy(update={"flows": flows})
    )


def run_one(loaded: LoadedSpec, catalog: Catalog) -> dict[str, Any]:
    production_id = uuid.uuid4().hex
    from flows.kinds import flow_for_kind

    flow = flow_for_kind(loaded.kind)
    called_at, started = time.time(), time.perf_counter()
    try:
        from prefect import tags

        # no flow-run heartbeats: this process watches its own flow (a crash is its exit, which the catalog
        # marks by host and pid), and the heartbeat thread holds up every flow's end by up to a second
        with tags(*run_tags(loaded.spec)), without_heartbeats(), RunProgress(production_id, catalog):
            state = flow(spec_path=str(loaded.path), production_id=production_id, return_state=True)
    except Exception as exc:  # noqa: BLE001 - Prefect could not start the flow run at all
        return _not_started(loaded, catalog, production_id, exc)
    wall = time.perf_counter() - started
    try:
        info = catalog.show_production(production_id)
    except KeyError:
        error = state.message or "the flow failed before the production was created"
        return {"production_id": None, "name": loaded.name, "status": "failed", "error": error,
                "outputs": {}, "metrics": {}, "warnings": [], "stages": []}  # fmt: skip
    result = summarize(info)
    if info["status"] == "running":  # the flow died without closing the production
        catalog.finish_production(production_id, "failed", state.message or "flow run did not complete")
        result["status"] = "failed"
    stage_seconds = sum(s["seconds"] for s in result["stages"])
    returned = state.result(raise_on_failure=False) if state.is_completed() else None
    flow_started_at = returned.get("flow_started_at") if isinstance(returned, dict) else None
    result["timings"] = {
        "flow_called_at": called_at,  # epoch seconds: where the process's own start ends
        "flow_returned_at": called_at + wall,
        "wall_seconds": round(wall, 3),
        "stage_seconds": round(stage_seconds, 3),
        # from the call to the first line of the flow: Prefect's fixed start-up (API, flow run)
        "prefect_startup_seconds": round(flow_started_at - called_at, 3) if flow_started_at else None,
    }
    result["spec"] = str(loaded.path)
    if uses_temporary_server() and state.state_details.flow_run_id is not None:
        # before this process's exit stops the temporary server, let it record what the flow ran
        settle_temporary_server(state.state_details.flow_run_id, len(result["stages"]))
    return result


def _not_started(loaded: LoadedSpec, catalog: Catalog, production_id: str, exc: Exception) -> dict[str, Any]:
    """Record a production Prefect never started (failed, with what to do) and return its summary."""
    error = f"{loaded.path}: the flow run did not start: {prefect_problem(exc)}"
    spec_id = catalog.record_spec(
        loaded.sha256, loaded.kind, loaded.name, str(loaded.path), loaded.raw, loaded.normalized()
    )
    catalog.start_production(spec_id, loaded.name, None, production_id)
    catalog.finish_production(production_id, "failed", error)
    return {"production_id": production_id, "name": loaded.name, "status": "failed", "error": error,
            "outputs": {}, "metrics": {}, "warnings": [], "stages": [], "spec": str(loaded.path)}  # fmt: skip


def prefect_problem(exc: Exception) -> str:
    """One paragraph on why Prefect's API was not there and what to start, instead of a traceback."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return f"{first} (is the Prefect server at PREFECT_API_URL={url} running? start it with `prefect server start`)"
    if "ephemeral" in str(exc).lower():
        timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
        return (
            f"{first} Prefect's temporary API server did not answer within {timeout} s (a busy machine): "
            "start a server once (`prefect server start`, then `export PREFECT_API_URL=http://127.0.0.1:4200/api`) "
            "or raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
        )
    return f"{type(exc).__name__}: {first}"


def _print_human(result: dict[str, Any]) -> None:
    print(f"production {result['production_id']}  '{result['name']}'  {result['status']}")
    if result["error"]:
        print(f"  error: {result['error']}")
    for role, path in result["outputs"].items():
        print(f"  {role}: {', '.join(path) if isinstance(path, list) else path}")
    for warning in result.get("warnings", []):
        print(f"  warning: {warning}")
    for name, value in result["metrics"].items():  # the production's figures, whatever its kind
        if isinstance(value, int | float):
            print(f"  {name}: {value:.3f}")
    t = result.get("timings") or {}
    if t:
        print(f"  stage compute {t['stage_seconds']:.1f} s, wall {t['wall_seconds']:.1f} s")


def _valid_specs(paths: list[str]) -> list[LoadedSpec] | None:
    """All specs loaded, or None after printing every error (nothing runs if one is invalid)."""
    loaded, errors = load_all(paths)
    for err in errors:
        print(err, file=sys.stderr)
    return None if errors else loaded


def handle_run(args: argparse.Namespace) -> int:
    loaded = _valid_specs(args.specs)
    if loaded is None:
        return 2
    configure()
    catalog = Catalog()
    catalog.mark_crashed()
    statuses = set()
    for spec in loaded:
        remember(spec)  # the flow's own loads of the spec reuse this validation
        result = run_one(spec, catalog)
        statuses.add(result["status"])
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            _print_human(result)
    return exit_code(statuses)


#: `dh run`'s exit code by the worst status of its productions (2: an invalid spec, nothing ran)
EXIT_SUCCEEDED, EXIT_FAILED, EXIT_NEEDS_REVIEW = 0, 1, 3


def exit_code(statuses: set[str]) -> int:
    """1 when a production failed (or crashed), else 3 when one needs review (delivered below its
    quality gates), else 0."""
    if statuses - {"succeeded", "needs_review"}:
        return EXIT_FAILED
    return EXIT_NEEDS_REVIEW if "needs_review" in statuses else EXIT_SUCCEEDED


def _check_server() -> str:
    """The API URL of a reachable Prefect server, or a DhError saying what to start."""
    url = os.environ.get("PREFECT_API_URL")
    steps = (
        "start a server (`prefect server start`), `export PREFECT_API_URL=http://127.0.0.1:4200/api`, "
        "then `dh pools create`, `prefect --no-prompt deploy --all` and `prefect worker start --pool dh-cpu` "
        "(README: Deployments and batches)"
    )
    if not url:
        raise DhError(f"dh submit needs a Prefect server and PREFECT_API_URL is not set: {steps}")
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        raise DhError(f"no Prefect server answers at PREFECT_API_URL={url} ({exc}): {steps}") from exc
    return url


def handle_submit(args: argparse.Namespace) -> int:
    loaded = _valid_specs(args.specs)
    if loaded is None:
        return 2
    configure()
    url = _check_server()
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    from dhcore.routing import deployment_for
    from dhcore.submission import pack

    for spec in loaded:
        name = deployment_for(spec.spec)
        # the spec's text and its inputs' keys in the shared store, never this host's paths
        submitted = pack(spec).model_dump(mode="json")
        try:
            run = run_deployment(
                name, parameters={"submitted": submitted}, timeout=0, flow_run_name=spec.name,
                tags=run_tags(spec.spec),
            )  # fmt: skip
        except ObjectNotFound as exc:
            raise DhError(
                f"{spec.path}: no deployment {name!r} on {url}: run `prefect --no-prompt deploy --all` in the "
                "dh checkout (and start a worker on its pool)"
            ) from exc
        print(f"{spec.path}: submitted flow run {run.id} ({run.name}) to {name}")
    return 0
