"""Which deployment runs a spec: CPU or GPU workers, from its backends' declared device.

A backend declares `device` ("cpu", "cuda" or "auto"); a spec may pin its backend's
`params.device` to "cpu". Anything that can use a GPU and is not pinned to the CPU goes to the
GPU pool, so a diffusion backend never lands on a CPU-only worker by default.
"""

from __future__ import annotations

from typing import Any, Literal

from dhcore.backends import KIND_TABLES, kind_backend_pool

Pool = Literal["cpu", "gpu"]

#: prefect.yaml's deployments ("flow name/deployment name") by spec kind and pool
DEPLOYMENTS: dict[tuple[str, Pool], str] = {
    ("dance_video", "cpu"): "dance-video/dance-video",
    ("dance_video", "gpu"): "dance-video/dance-video-gpu",
    ("photo_shoot", "cpu"): "photo-shoot/photo-shoot",
    ("photo_shoot", "gpu"): "photo-shoot/photo-shoot-gpu",
    ("try_on", "cpu"): "try-on/try-on",
    ("try_on", "gpu"): "try-on/try-on-gpu",
    ("face_swap", "cpu"): "face-swap/face-swap",
    ("face_edit", "cpu"): "face-edit/face-edit",
    ("talking_head", "cpu"): "talking-head/talking-head",
    ("talking_head", "gpu"): "talking-head/talking-head-gpu",
    ("face_reenact", "cpu"): "face-reenact/face-reenact",
    ("face_reenact", "gpu"): "face-reenact/face-reenact-gpu",
}


def _backend(spec: Any) -> tuple[Any, dict[str, Any]]:
    """The spec's main backend object and its params as written in the spec."""
    if spec.kind == "dance_video":
        from dhcore.animate.registry import get_backend

        return get_backend(spec.animate.backend), dict(getattr(spec.animate, "params", None) or {})
    if spec.kind == "photo_shoot":
        from dhcore.shoot.registry import get_backend as get_shoot_backend

        return get_shoot_backend(spec.backend), dict(spec.backend_params or {})
    raise KeyError(f"no deployment for spec kind {spec.kind!r}")


def pool_for(spec: Any) -> Pool:
    if spec.kind in ("face_swap", "face_edit"):  # embedded CPU engines only
        return "cpu"
    if spec.kind in KIND_TABLES:  # the row the spec chose; a try-on's dance may still want a GPU
        if kind_backend_pool(spec) == "gpu":
            return "gpu"
        if spec.kind == "try_on" and spec.then is not None:
            return pool_for(spec.then.dance.dance_spec(spec.person.image, None))
        return "cpu"
    backend, params = _backend(spec)
    device = getattr(backend, "device", "cpu")
    if device == "cpu" or params.get("device") == "cpu":
        return "cpu"
    return "gpu"


def deployment_for(spec: Any) -> str:
    return DEPLOYMENTS[(spec.kind, pool_for(spec))]


def backend_name(spec: Any) -> str:
    return spec.animate.backend if spec.kind == "dance_video" else spec.backend


def run_tags(spec: Any, batch: str | None = None) -> list[str]:
    """Prefect tags of a production's flow run: filter the UI by kind, backend and batch."""
    found = ["dh", f"kind:{spec.kind}", f"backend:{backend_name(spec)}"]
    return [*found, f"batch:{batch}"] if batch else found
