"""Specs go to the CPU or GPU deployment by their backend's declared device, tagged for the UI."""

from __future__ import annotations

from types import SimpleNamespace

from dhcore.routing import deployment_for, run_tags


def _dance(backend: str, params: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(kind="dance_video", animate=SimpleNamespace(backend=backend, params=params or {}))


def _shoot(backend: str, params: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(kind="photo_shoot", backend=backend, backend_params=params or {})


def test_deployment_follows_the_backends_device() -> None:
    assert deployment_for(_dance("warp")) == "dance-video/dance-video"
    assert deployment_for(_dance("musepose")) == "dance-video/dance-video-gpu"  # device "auto": a GPU if any
    assert deployment_for(_dance("animate_anyone", {"device": "cpu"})) == "dance-video/dance-video"
    assert deployment_for(_shoot("template_swap")) == "photo-shoot/photo-shoot"
    assert deployment_for(_shoot("arc2face")) == "photo-shoot/photo-shoot-gpu"
    assert deployment_for(_shoot("cosmicman", {"device": "cpu"})) == "photo-shoot/photo-shoot"
    reenact = {"kind": "face_reenact", "backend_params": {}}
    assert deployment_for(SimpleNamespace(**reenact, backend="mesh")) == "face-reenact/face-reenact"
    assert (
        deployment_for(SimpleNamespace(**reenact, backend="liveportrait")) == "face-reenact/face-reenact-gpu"
    )
    pinned = SimpleNamespace(kind="face_reenact", backend="liveportrait", backend_params={"device": "cpu"})
    assert deployment_for(pinned) == "face-reenact/face-reenact"


def test_tags_name_kind_backend_and_batch() -> None:
    assert run_tags(_dance("champ"), "batch-inbox-20261207-0100") == [
        "dh", "kind:dance_video", "backend:champ", "batch:batch-inbox-20261207-0100",
    ]  # fmt: skip
    assert run_tags(_shoot("template_swap")) == ["dh", "kind:photo_shoot", "backend:template_swap"]
