"""The fashn_vton try-on backend: a tiny random model folder in the release layout (written here)
loads through the registry, runs on CPU through the stage, and a missing or misshapen checkpoint is
a located validation error naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.demo.assets import png_writer
from dhcore.demo.tryon_assets import tshirt
from dhcore.errors import ModelError
from dhcore.models import ids
from dhcore.tryon.fashn import prepare
from dhcore.tryon.fashn.model import Config, TryOnModel
from dhcore.tryon.fashn.weights import WEIGHTS, checked_config
from tests import realdata

#: 2-pixel patches on the release's 72 x 48 grid: a 144 x 96 model
TINY = Config(height=144, width=96, hidden=48, heads=2, double_blocks=1, single_blocks=1, mixer_blocks=1,
              patch=2, axes=(4, 10, 10))  # fmt: skip


def write_tiny_model(models_root: Path, seed: int = 0) -> Path:
    """models_root/fashn_vton_1_5/model.safetensors with random weights in the release's names."""
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    state = {k: v.contiguous() for k, v in TryOnModel(TINY).state_dict().items()}
    folder = models_root / ids.FASHN_VTON
    folder.mkdir(parents=True, exist_ok=True)
    save_file(state, str(folder / WEIGHTS))
    return folder


def test_the_config_is_read_off_the_checkpoint(tmp_path: Path) -> None:
    assert checked_config(write_tiny_model(tmp_path)) == TINY
    with torch.device("meta"):
        release = {k: tuple(v.shape) for k, v in TryOnModel().state_dict().items()}
    from dhcore.tryon.fashn.weights import infer_config

    assert infer_config(release, "release") == Config()  # the release's 864 x 576, (16, 56, 56) axes


def test_a_misshapen_or_foreign_checkpoint_names_the_file_and_key(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    path = write_tiny_model(tmp_path) / WEIGHTS
    state = load_file(str(path))
    state["final_layer.linear.bias"] = torch.zeros(5)
    save_file(state, str(path))
    with pytest.raises(
        ModelError, match=r"model\.safetensors: .*with another shape.*final_layer\.linear\.bias \[5\]"
    ):
        checked_config(path.parent)
    save_file({"weight": torch.zeros(2)}, str(path))
    with pytest.raises(ModelError, match="has no tensor 't_embedder.mlp.out_layer.weight'"):
        checked_config(path.parent)


def test_resize_pad_and_unpad_round_trip_and_the_pose_is_drawn() -> None:
    image = np.zeros((300, 100, 3), np.uint8)
    image[:, :50] = 200
    padded, box = prepare.resize_pad(image, 144, 96)
    assert padded.shape == (144, 96, 3) and box.h == 144 and box.w == 48 and box.x == 24
    assert (padded[:, :24] == prepare.PAD).all()
    back = prepare.unpad(padded, box, 300, 100)
    assert back.shape == (300, 100, 3) and abs(int(back[150, 20, 0]) - 200) <= 2 and back[150, 80, 0] <= 2


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fashn")
    png_writer(realdata.rgb("astronaut"))(root / "person.png")
    png_writer(tshirt())(root / "tshirt.png")
    return root


def test_the_stage_dresses_a_photo_on_cpu_at_its_own_size(photos: Path, tmp_path: Path) -> None:
    from dhcore.pose import extract
    from dhcore.stages import get

    write_tiny_model(tmp_path / "models")
    pose = extract.STAGE.call(tmp_path / "pose", extract.Params(), source=photos / "person.png")
    stage = get("tryon.fashn_vton")
    params = stage.Params(steps=2, device="cpu")
    assert stage.model_ids(params) == [ids.FASHN_VTON] and stage.device_for(params) == "cpu"
    result = stage.call(tmp_path / "out", params, models_root=tmp_path / "models", person=photos / "person.png",
                        garment=photos / "tshirt.png", person_pose=pose.outputs["pose"].path)  # fmt: skip
    import cv2

    image = cv2.imread(str(result.outputs["image"].path))
    mask = cv2.imread(str(result.outputs["edit_mask"].path), cv2.IMREAD_GRAYSCALE)
    assert image.shape == (512, 512, 3) and mask.shape == (512, 512)
    assert set(np.unique(mask)) == {0, 255} and 0.05 < result.metrics["garment_area"] < 0.8
    # the garment area covers the chest below the face, not the top of the head, and (her hips are out
    # of the photo) reaches its bottom edge
    assert mask[380, 256] == 255 and mask[20, 256] == 0 and mask[505, 200] == 255
    again = stage.call(tmp_path / "again", params, models_root=tmp_path / "models", person=photos / "person.png",
                       garment=photos / "tshirt.png", person_pose=pose.outputs["pose"].path)  # fmt: skip
    assert np.array_equal(image, cv2.imread(str(again.outputs["image"].path)))  # the seed decides


FASHN_SPEC = """\
version: 1
kind: try_on
person: {{image: {person}}}
garment: {{image: {garment}, category: dress}}
backend: fashn_vton
backend_params: {{steps: 2{extra}}}
"""


def fashn_spec(photos: Path, tmp_path: Path, extra: str = "") -> Path:
    path = photos / f"{tmp_path.name}{len(extra)}.yaml"  # beside its photos: inside the allowed roots
    path.write_text(FASHN_SPEC.format(person="person.png", garment="tshirt.png", extra=extra))
    return path


def test_a_missing_model_is_a_located_error_naming_the_expected_file(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.spec.loader import SpecError, load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    path = fashn_spec(photos, tmp_path)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    expected = tmp_path / "models" / ids.FASHN_VTON / WEIGHTS
    assert f"{path}:5:10: backend: model 'fashn_vton_1_5' is not installed: missing {expected}" in str(
        err.value
    )
    assert "dh models add fashn_vton_1_5" in str(err.value)


def test_a_misshapen_model_is_a_located_error_naming_the_key(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safetensors.torch import load_file, save_file

    from dhcore.spec.loader import SpecError, load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    weights = write_tiny_model(tmp_path / "models") / WEIGHTS
    state = load_file(str(weights))
    del state["y_embedder.weight"]
    save_file(state, str(weights))
    path = fashn_spec(photos, tmp_path, extra=", model: fashn_vton_1_5")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    assert f"{path}:6:" in str(err.value) and "backend_params.model" in str(err.value)
    assert f"{weights}: has no tensor 'y_embedder.weight'" in str(err.value)


def test_the_backend_plans_its_stage_and_routes_to_the_gpu_unless_pinned_to_the_cpu(
    photos: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.plan import plan
    from dhcore.routing import deployment_for
    from dhcore.spec.loader import load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    write_tiny_model(tmp_path / "models")
    loaded = load_spec(fashn_spec(photos, tmp_path))
    calls = plan(loaded).calls
    assert [c.stage for c in calls] == ["pose.extract", "tryon.fashn_vton", "tryon.figures"]
    assert calls[1].params.category == "dress" and calls[1].params.steps == 2
    assert "warped_garment" not in calls[2].inputs
    assert deployment_for(loaded.spec) == "try-on/try-on-gpu"
    pinned = load_spec(fashn_spec(photos, tmp_path, extra=", device: cpu"))
    assert deployment_for(pinned.spec) == "try-on/try-on"
