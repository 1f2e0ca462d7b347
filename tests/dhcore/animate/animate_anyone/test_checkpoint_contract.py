"""Checkpoint contract: the release files load key for key into our modules.

Full size: tensors with exactly the manifest keys and shapes (on the `meta` device, so no 3 GB
allocations) go through the same loader functions as real files. Tiny size: random tensors saved
as .pth files in the release folder layout, registered, converted to safetensors and loaded.
Bad files: missing/unexpected/reshaped keys, missing files and pickles that are not state dicts
give errors that say what is wrong.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from dhcore.animate.animate_anyone import checkpoints
from dhcore.animate.animate_anyone.components import ModelIds, load_components, load_condition, load_unets
from dhcore.animate.animate_anyone.config import GUIDANCE_TYPES, RELEASES, UNetConfig
from dhcore.animate.animate_anyone.tiny import (
    random_release_states,
    register_release_folder,
    write_release_folder,
)
from dhcore.errors import ModelError
from dhcore.models import registry
from dhcore.models.state_dict import read_state_dict

NAMES = ["moore_aa", "musepose", "champ"]


class ManifestWeights:
    """Checkpoint 'files' made of meta tensors with the manifest's keys and shapes."""

    def __init__(self, folder: Path):
        self.folder = folder

    def shapes(self, rel: str) -> dict[str, list[int]]:
        return json.loads((self.folder / f"{Path(rel).stem}.json").read_text())

    def state(self, rel: str) -> dict[str, torch.Tensor]:
        return {k: torch.empty(shape, device="meta") for k, shape in self.shapes(rel).items()}

    def where(self, rel: str) -> str:
        return f"manifest {self.folder.name}/{rel}"


def shapes_of(module: torch.nn.Module) -> dict[str, list[int]]:
    return {k: list(v.shape) for k, v in module.state_dict().items()}


@pytest.fixture(scope="module")
def manifests(reference_dir: Path) -> Path:
    return reference_dir / "manifests"


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_manifests_load_into_full_size_modules(manifests: Path, name: str) -> None:
    release = RELEASES[name]
    weights = ManifestWeights(manifests / name)
    cfg = UNetConfig.from_json(manifests / "sd15_unet_config.json")
    unet, reference = load_unets(release, cfg, weights)  # raises on any missing/unexpected key
    assert shapes_of(unet) == weights.shapes("denoising_unet_full")
    assert shapes_of(reference.unet) == weights.shapes("reference_unet")
    pe = json.loads((manifests / "persistent_buffers.json").read_text())[f"{name}/motion_module"]
    buffers = {k for k, _ in unet.named_buffers()}
    assert buffers == set(pe) and len(pe) == 42
    assert {tuple(unet.get_buffer(k).shape)[1] for k in pe} == {release.motion_max_len}
    if not release.pe_from_file:  # MusePose recomputes its tables: real values, not meta
        assert all(unet.get_buffer(k).device.type == "cpu" for k in pe)
    condition = load_condition(release, cfg.block_out_channels[0], GUIDANCE_TYPES, weights)
    for rel in release.condition_files:
        head = (
            condition if rel == "pose_guider.pth" else condition.encoders[rel[len("guidance_encoder_") : -4]]
        )
        assert shapes_of(head) == weights.shapes(rel)


def test_checkpoint_manifests_parameter_counts(manifests: Path) -> None:
    """The SD1.5-sized modules hold exactly the README's parameter counts (pe tables are buffers)."""
    summary = json.loads((manifests / "moore_aa" / "_summary.json").read_text())
    weights = ManifestWeights(manifests / "moore_aa")
    cfg = UNetConfig.from_json(manifests / "sd15_unet_config.json")
    unet, reference = load_unets(RELEASES["moore_aa"], cfg, weights)
    guider = load_condition(RELEASES["moore_aa"], 320, (), weights)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(reference.unet) == summary["reference_unet"]["num_parameter_elements"]
    assert count(unet) == summary["denoising_unet_full"]["num_parameter_elements"]
    assert count(guider) == summary["pose_guider"]["num_parameter_elements"]


@pytest.mark.parametrize("name", NAMES)
def test_checkpoint_release_folder_roundtrip(tmp_path: Path, name: str) -> None:
    release = RELEASES[name]
    states = random_release_states(release, seed=7)
    ids = register_release_folder(
        write_release_folder(tmp_path / "download", states), release, tmp_path / "store"
    )
    parts = load_components(release, ids, torch.float32, GUIDANCE_TYPES, tmp_path / "store")
    unet_state = parts.unet.state_dict()
    for rel in ("denoising_unet.pth", "motion_module.pth"):
        for k, v in states[rel].items():
            if rel == "motion_module.pth" and k.endswith(".pe") and not release.pe_from_file:
                continue
            assert torch.equal(unet_state[k], v), k
    ref_state = parts.reference.unet.state_dict()
    assert all(torch.equal(ref_state[k], v) for k, v in states["reference_unet.pth"].items())
    folder = registry.model_dir(ids.release, tmp_path / "store")
    lock = registry.read_lock(tmp_path / "store")[ids.release]
    for rel in release.files:
        entry = lock[f"converted/{Path(rel).stem}.safetensors"]
        assert entry["source_sha256"] == lock[rel]["sha256"]
        assert entry["sha256"] == registry.sha256_file(checkpoints.converted_path(folder, rel))


def test_checkpoint_converted_once_then_read_as_safetensors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = RELEASES["moore_aa"]
    ids = register_release_folder(
        write_release_folder(tmp_path / "dl", random_release_states(release)), release, tmp_path / "store"
    )
    first = checkpoints.load_weights(ids.release, "pose_guider.pth", tmp_path / "store")

    def no_unpickling(*args, **kwargs):
        raise AssertionError("the .pth file was read again")

    monkeypatch.setattr(checkpoints, "read_state_dict", no_unpickling)
    again = checkpoints.load_weights(ids.release, "pose_guider.pth", tmp_path / "store")
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    monkeypatch.undo()
    # a replaced release file is converted again
    changed = {k: v + 1 for k, v in first.items()}
    torch.save(changed, tmp_path / "dl" / "pose_guider.pth")
    registry.add(ids.release, tmp_path / "dl", tmp_path / "store")
    reloaded = checkpoints.load_weights(ids.release, "pose_guider.pth", tmp_path / "store")
    assert all(torch.equal(reloaded[k], changed[k]) for k in changed)


def _install_with(tmp_path: Path, rel: str, edit) -> tuple:
    release = RELEASES["moore_aa"]
    states = random_release_states(release)
    states[rel] = edit(dict(states[rel]))
    ids = register_release_folder(write_release_folder(tmp_path / "dl", states), release, tmp_path / "store")
    return release, ids


def test_checkpoint_missing_and_unexpected_keys_are_listed(tmp_path: Path) -> None:
    def edit(state):
        keys = sorted(state)[:7]
        for k in keys:
            del state[k]
        for i in range(3):
            state[f"bogus.{i}.weight"] = torch.zeros(1)
        return state

    release, ids = _install_with(tmp_path, "denoising_unet.pth", edit)
    with pytest.raises(ModelError) as err:
        load_components(release, ids, root=tmp_path / "store")
    msg = str(err.value)
    assert "denoising_unet.pth" in msg
    assert "7 missing key(s)" in msg and "… 2 more" in msg and "3 unexpected key(s): bogus.0.weight" in msg


def test_checkpoint_shape_mismatch_is_listed(tmp_path: Path) -> None:
    def edit(state):
        state["conv_in.weight"] = torch.zeros(16, 3, 5, 5)
        return state

    release, ids = _install_with(tmp_path, "pose_guider.pth", edit)
    with pytest.raises(
        ModelError,
        match=r"1 with another shape key\(s\): conv_in.weight \[16, 3, 5, 5\] \(expected \[16, 3, 3, 3\]\)",
    ):
        load_components(release, ids, root=tmp_path / "store")


def test_checkpoint_missing_files_name_each_file_and_layout(tmp_path: Path) -> None:
    release = RELEASES["champ"]
    with pytest.raises(ModelError) as err:
        load_components(release, ModelIds(release.model_id), root=tmp_path / "empty")
    msg = str(err.value)
    for rel in release.files:
        assert str(tmp_path / "empty" / "champ" / rel) in msg
    assert "unet/config.json" in msg and "diffusion_pytorch_model.bin" in msg and "pytorch_model.bin" in msg
    assert "dh models add champ PATH" in msg and "expected layout" in msg


@pytest.mark.parametrize("payload", [[1, 2, 3], {"w": torch.zeros(2), "meta": "not a tensor"}])
def test_checkpoint_that_is_not_a_state_dict_is_rejected(tmp_path: Path, payload) -> None:
    path = tmp_path / "bad.pth"
    torch.save(payload, path)
    with pytest.raises(ModelError, match="not a plain state dict"):
        read_state_dict(path)


def test_checkpoint_with_arbitrary_objects_is_refused(tmp_path: Path) -> None:
    """weights_only: a pickle that would run code or build objects is never unpickled."""
    path = tmp_path / "evil.pth"
    torch.save({"w": torch.zeros(1), "obj": Path("x")}, path)
    with pytest.raises(ModelError, match="weights-only"):
        read_state_dict(path)


def test_checkpoint_with_shared_storage_converts(tmp_path: Path) -> None:
    """Tied or sliced tensors (one storage) are written as separate safetensors entries."""
    base = torch.arange(12.0)
    torch.save({"a": base, "b": base, "c": base[4:8], "d": base.view(3, 4).t()}, tmp_path / "tied.pth")
    state = read_state_dict(tmp_path / "tied.pth")
    checkpoints._save(state, tmp_path / "tied.safetensors")
    back = load_file(tmp_path / "tied.safetensors")
    assert all(torch.equal(back[k], state[k]) for k in state)
