"""The model registry: add pins hashes, verify catches corruption, missing models say how to fix."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.registry import ModelSpec


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "models"
    monkeypatch.setenv("DH_MODELS_DIR", str(root))
    monkeypatch.setitem(
        registry.REGISTRY, "tiny_net",
        ModelSpec(id="tiny_net", files=("net.dat",), format="folder", license="MIT", source="tests"),
    )  # fmt: skip
    known = hashlib.sha256(b"public bytes").hexdigest()
    monkeypatch.setitem(
        registry.REGISTRY, "pinned",
        ModelSpec(id="pinned", files=("p.dat",), format="folder", license="MIT", source="tests",
                  sha256={"p.dat": known}),
    )  # fmt: skip
    return root


def test_missing_model_error_names_id_path_and_command(models: Path) -> None:
    with pytest.raises(ModelError) as info:
        registry.resolve("tiny_net")
    msg = str(info.value)
    assert (
        "tiny_net" in msg and str(models / "tiny_net" / "net.dat") in msg and "dh models add tiny_net" in msg
    )


def test_add_then_resolve_and_detect_corruption(models: Path, tmp_path: Path) -> None:
    src = tmp_path / "net.dat"
    src.write_bytes(b"weights v1")
    folder = registry.add("tiny_net", src)
    assert registry.resolve("tiny_net") == folder and (folder / "net.dat").read_bytes() == b"weights v1"
    digest = registry.weights_sha256("tiny_net")
    target = folder / "net.dat"
    target.write_bytes(b"weights v2")  # same size, new content
    os.utime(target, ns=(1, 1))
    with pytest.raises(ModelError, match="corrupt or wrong file"):
        registry.resolve("tiny_net")
    target.write_bytes(b"weights v1")
    assert registry.weights_sha256("tiny_net") == digest


def test_known_public_hash_is_enforced_on_add(models: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "p.dat"
    wrong.write_bytes(b"something else")
    with pytest.raises(ModelError, match="the public p.dat has"):
        registry.add("pinned", wrong)
    assert not (models / "pinned").exists()
    wrong.write_bytes(b"public bytes")
    registry.add("pinned", wrong)
    assert registry.verify("pinned", force=True) == {"p.dat": hashlib.sha256(b"public bytes").hexdigest()}


def test_unknown_id_lists_known_ids(models: Path) -> None:
    with pytest.raises(ModelError, match="unknown model id 'nope'.*tiny_net"):
        registry.get("nope")


def test_weights_digest_is_fixed_length_order_free_and_content_bound(models: Path, tmp_path: Path) -> None:
    src = tmp_path / "net.onnx"
    src.write_bytes(b"weights v1")
    registry.add("tiny_net", src)
    pinned = tmp_path / "p.onnx"
    pinned.write_bytes(b"public bytes")
    registry.add("pinned", pinned)
    assert registry.weights_digest([]) is None
    one = registry.weights_digest(["tiny_net"])
    both = registry.weights_digest(["tiny_net", "pinned"])
    assert len(one) == len(both) == 64 and one != both
    assert registry.weights_digest(["pinned", "tiny_net", "pinned"]) == both
    src.write_bytes(b"weights v2")
    registry.add("tiny_net", src)
    assert registry.weights_digest(["tiny_net", "pinned"]) != both


def test_ids_registry_and_readme_agree() -> None:
    import dhcore.models.known  # noqa: F401 - declares the set
    from dhcore.models import ids

    assert set(ids.ALL) == set(registry.REGISTRY)
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert all(f"`{model_id}`" in readme for model_id in ids.ALL)
