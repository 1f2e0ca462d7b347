"""The LivePortrait backend: the release's checkpoint layout (built at full size on the meta device),
a tiny random model in that layout read through the registry's folder, its forward pass and the
relative-motion invariants, and a misshapen or missing file as a ModelError naming file and key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.errors import ModelError
from dhcore.models import ids
from dhcore.reenact.liveportrait import motion, stitching
from dhcore.reenact.liveportrait.model import NETWORKS, Config, LivePortrait
from dhcore.reenact.liveportrait.stitching import RetargetingMLP
from dhcore.reenact.liveportrait.weights import FILES, checked, infer_config, load, read

#: every release size shrunk; a 256 px input, 4 keypoints, a 4-channel volume 4 deep
TINY = Config(block_expansion=4, max_features=16, reshape_channel=4, resblocks=1, num_kp=4, depths=(1, 1, 1, 1),
              dims=(8, 8, 16, 16), motion_expansion=4, motion_max_features=16, motion_blocks=3, compress=2,
              spade_hidden=8, out_channels=4)  # fmt: skip


def write_tiny_model(models_root: Path, seed: int = 0) -> Path:
    """models_root/liveportrait/base_models/*.pth: random weights in the release's names (plain state dicts)."""
    torch.manual_seed(seed)
    model = LivePortrait(TINY)
    folder = models_root / ids.LIVEPORTRAIT
    for name, file in zip(NETWORKS, FILES, strict=True):
        (folder / file).parent.mkdir(parents=True, exist_ok=True)
        torch.save(getattr(model, name).state_dict(), folder / file)
    parts = {part: RetargetingMLP([io(TINY.num_kp)[0], 8, io(TINY.num_kp)[1]]).state_dict()
             for part, io in stitching.PARTS.items()}  # fmt: skip
    (folder / stitching.FILE).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {k: {f"module.{n}": t for n, t in v.items()} for k, v in parts.items()}, folder / stitching.FILE
    )
    return folder


def release_shapes() -> dict[str, dict[str, tuple[int, ...]]]:
    with torch.device("meta"):
        model = LivePortrait()
    return {n: {k: tuple(v.shape) for k, v in getattr(model, n).state_dict().items()} for n in NETWORKS}


def test_the_release_layout_at_full_size() -> None:
    shapes = release_shapes()
    assert infer_config(shapes, "release") == Config()
    params = {n: sum(int(np.prod(s)) for k, s in v.items() if not k.endswith("num_batches_tracked"))
              for n, v in shapes.items()}  # fmt: skip
    # the release's file sizes: 3.4 MB, 112 MB, 182 MB, 222 MB of float32
    assert [round(p * 4 / 1e6) for p in params.values()] == [3, 112, 182, 222]
    m, w, g = shapes["motion_extractor"], shapes["warping_module"], shapes["spade_generator"]
    assert m["detector.fc_kp.weight"] == (63, 768) and m["detector.fc_yaw.weight"] == (66, 768)
    assert w["dense_motion_network.occlusion.weight"] == (
        1,
        (32 + 22 * 5) * 16,
        7,
        7,
    )  # hourglass out x depth
    assert w["dense_motion_network.hourglass.encoder.down_blocks.0.conv.weight"] == (64, 22 * 5, 3, 3, 3)
    assert {"G_middle_0.conv_0.weight_orig", "G_middle_0.conv_0.weight_u", "up_0.conv_s.weight_v"} <= set(g)
    assert g["conv_img.0.weight"] == (12, 64, 3, 3)


def test_a_tiny_folder_loads_and_a_wrong_file_names_file_and_key(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path)
    assert checked(folder, read(folder)) == TINY
    path = folder / "base_models" / "warping_module.pth"
    state = torch.load(path, weights_only=True)
    state["fourth.bias"] = torch.zeros(3)
    torch.save(state, path)
    with pytest.raises(ModelError, match=r"warping_module\.pth: .*with another shape.*fourth\.bias \[3\]"):
        checked(folder, read(folder))
    del state["fourth.bias"]
    torch.save(state, path)
    with pytest.raises(ModelError, match=r"warping_module\.pth: .*1 missing key\(s\): fourth\.bias"):
        checked(folder, read(folder))
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ModelError, match=r"warping_module\.pth: has no tensor .*not a LivePortrait"):
        checked(folder, read(folder))
    path.unlink()
    with pytest.raises(ModelError, match=r"warping_module\.pth: missing"):
        read(folder)


def test_rotation_is_orthonormal_and_relative_motion_starts_at_the_source() -> None:
    angles = torch.tensor([[10.0, -25.0, 5.0], [0.0, 0.0, 0.0]])
    r = motion.rotation(angles[:, 0], angles[:, 1], angles[:, 2])
    assert torch.allclose(r @ r.transpose(1, 2), torch.eye(3).expand(2, 3, 3), atol=1e-6)
    assert torch.allclose(r[1], torch.eye(3)) and torch.isclose(torch.det(r[0]), torch.tensor(1.0))
    assert float(motion.degrees(torch.zeros(1, 66))) == pytest.approx(0.0)  # the bins' middle
    torch.manual_seed(1)

    def face() -> dict[str, torch.Tensor]:
        return {"angles": torch.randn(1, 3) * 10, "kp": torch.randn(1, 4, 3), "exp": torch.randn(1, 4, 3) * 0.1,
                "scale": torch.rand(1, 1, 1) + 0.5, "t": torch.randn(1, 1, 3) * 0.1}  # fmt: skip

    source, first, later = face(), face(), face()
    assert torch.allclose(motion.relative(source, first, first), motion.own(source), atol=1e-6)
    assert torch.allclose(motion.relative(source, first, later, 0.0, 0.0), motion.own(source), atol=1e-6)
    moved = motion.relative(source, first, later)
    assert not torch.allclose(moved, motion.own(source), atol=1e-3)


def test_the_tiny_model_runs_the_release_pipeline(tmp_path: Path) -> None:
    model = load(write_tiny_model(tmp_path))
    torch.manual_seed(0)
    image = torch.rand(2, 3, 256, 256)
    with torch.inference_mode():
        volume = model.appearance_feature_extractor(image[:1])
        assert volume.shape == (1, 4, 4, 64, 64)
        info = motion.extract(model.motion_extractor, image)
        assert info["kp"].shape == (2, 4, 3) and info["angles"].shape == (2, 3)
        assert bool(((info["angles"] > -97.5) & (info["angles"] < 100.5)).all())
        source = {k: v[:1] for k, v in info.items()}
        driver = {k: v[1:] for k, v in info.items()}
        kp = motion.relative(source, source, driver)
        feature = model.warping_module(volume, kp, motion.own(source))
        assert feature.shape == (1, 16, 64, 64)
        out = model.spade_generator(feature)
    assert out.shape == (1, 3, 512, 512) and float(out.min()) >= 0 and float(out.max()) <= 1
    assert float(out.std()) > 0


def test_the_stitching_file_is_read_by_entry_and_checked(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path)
    parts = stitching.read(folder, TINY.num_kp)
    assert set(parts) == {"retarget_shoulder", "retarget_mouth", "retarget_eye"}
    # the release's widths (models.yaml) for 21 keypoints
    release = RetargetingMLP([126, 128, 128, 64, 65])
    assert [m.out_features for m in release.mlp if isinstance(m, torch.nn.Linear)] == [128, 128, 64, 65]
    assert set(release.state_dict()) == {f"mlp.{i}.{p}" for i in (0, 2, 4, 6) for p in ("weight", "bias")}
    kp_source, kp_driving = torch.randn(1, 4, 3), torch.randn(1, 4, 3)
    moved = stitching.stitch(parts["retarget_shoulder"], kp_source, kp_driving)
    assert moved.shape == (1, 4, 3) and not torch.allclose(moved, kp_driving)
    still = RetargetingMLP([24, 8, 14])
    torch.nn.init.zeros_(still.mlp[2].weight), torch.nn.init.zeros_(still.mlp[2].bias)
    assert torch.equal(
        stitching.stitch(still, kp_source, kp_driving), kp_driving
    )  # a zero offset moves nothing
    path = folder / stitching.FILE
    state = torch.load(path, weights_only=True)
    state["retarget_eye"]["module.mlp.0.weight"] = torch.zeros(8, 5)
    torch.save(state, path)
    with pytest.raises(
        ModelError, match=r"stitching_retargeting_module\.pth \[retarget_eye\]: .*mlp\.0\.weight \[8, 5\]"
    ):
        stitching.read(folder, TINY.num_kp)
    del state["retarget_mouth"]
    torch.save(state, path)
    with pytest.raises(ModelError, match="has no entry 'retarget_mouth'"):
        stitching.read(folder, TINY.num_kp)
