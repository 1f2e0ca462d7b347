"""The musetalk lip-sync backend: the release's UNet layout at full size on the meta device, a tiny
random model folder in the release's `models/` layout (written here) run through the stage on CPU, and
a misshapen checkpoint or a missing folder as errors naming the file."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from dhcore.errors import ModelError
from dhcore.models import ids
from dhcore.talk.musetalk import lipsync
from dhcore.talk.musetalk.weights import RELEASE_UNET, UNET_CONFIG, UNET_WEIGHTS, build_unet, load

#: the release's UNet shrunk: 8 input channels (masked + reference latents), 32-wide audio tokens
TINY_UNET = {
    **RELEASE_UNET, "block_out_channels": [32, 64], "layers_per_block": 1, "norm_num_groups": 8,
    "attention_head_dim": 4, "cross_attention_dim": 32, "sample_size": 16,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
}  # fmt: skip
TINY_VAE = {
    "in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [8, 16], "layers_per_block": 1,
    "norm_num_groups": 4, "down_block_types": ["DownEncoderBlock2D"] * 2, "up_block_types": ["UpDecoderBlock2D"] * 2,
    "scaling_factor": 0.18215,
}  # fmt: skip
TINY_WHISPER = {
    "d_model": 32, "encoder_layers": 2, "encoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_layers": 1,
    "decoder_attention_heads": 2, "decoder_ffn_dim": 64, "num_mel_bins": 80, "vocab_size": 64,
    "max_source_positions": 1500, "max_target_positions": 16, "pad_token_id": 1, "bos_token_id": 2,
    "eos_token_id": 2, "decoder_start_token_id": 3, "suppress_tokens": [], "begin_suppress_tokens": [],
}  # fmt: skip


def write_tiny_model(models_root: Path, seed: int = 0) -> Path:
    """models_root/musetalk_1_5/ in the release's layout (UNet as unet.pth, sd-vae and whisper as .bin)."""
    from diffusers import AutoencoderKL
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(seed)
    folder = models_root / ids.MUSETALK
    for sub in ("musetalkV15", "sd-vae", "whisper"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / UNET_CONFIG).write_text(json.dumps({"_class_name": "UNet2DConditionModel", **TINY_UNET}))
    torch.save(build_unet(TINY_UNET).state_dict(), folder / UNET_WEIGHTS)
    vae = AutoencoderKL(**TINY_VAE)
    (folder / "sd-vae/config.json").write_text(json.dumps({"_class_name": "AutoencoderKL", **TINY_VAE}))
    torch.save(vae.state_dict(), folder / "sd-vae/diffusion_pytorch_model.bin")
    whisper = WhisperForConditionalGeneration(WhisperConfig(**TINY_WHISPER))  # the hub's "model." keys
    (folder / "whisper/config.json").write_text(json.dumps(TINY_WHISPER))
    torch.save(whisper.state_dict(), folder / "whisper/pytorch_model.bin")
    return folder


def test_the_release_unet_layout_at_full_size() -> None:
    """musetalk.json's UNet: SD v1.4's 686 tensors (850M parameters) with 8 input channels and
    384-wide cross-attention, the shapes unet.pth holds."""
    with torch.device("meta"):
        state = build_unet(RELEASE_UNET).state_dict()
    assert len(state) == 686 and sum(v.numel() for v in state.values()) == 849_947_844
    assert state["conv_in.weight"].shape == (320, 8, 3, 3) and state["conv_out.weight"].shape == (
        4,
        320,
        3,
        3,
    )
    assert state["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight"].shape == (320, 384)
    assert state["up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_v.weight"].shape == (320, 384)
    assert state["mid_block.attentions.0.proj_in.weight"].shape == (1280, 1280, 1, 1)
    assert state["time_embedding.linear_1.weight"].shape == (1280, 320)


def test_a_misshapen_unet_checkpoint_names_the_file_and_key(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path)
    state = torch.load(folder / UNET_WEIGHTS, weights_only=True)
    state["conv_in.weight"] = torch.zeros(32, 4, 3, 3)
    del state["conv_out.bias"]
    torch.save(state, folder / UNET_WEIGHTS)
    with pytest.raises(
        ModelError, match=r"unet\.pth: .*1 missing key\(s\): conv_out\.bias.*conv_in\.weight \[32, 4"
    ):
        load(folder)


def test_audio_tokens_follow_the_release_window() -> None:
    """Ten feature frames (4 before, 6 from the frame on) of every hidden state, position-coded; zeros
    past either end."""
    features = np.arange(100 * 3 * 4, dtype=np.float32).reshape(100, 3, 4) + 1
    tokens = lipsync.frame_tokens(features, 10, 25.0)
    assert tokens.shape == (30, 4)
    plain = tokens - lipsync.positional(30, 4)
    assert np.allclose(plain[0], features[16, 0]) and np.allclose(plain[-1], features[25, 2])
    assert np.allclose(lipsync.positional(3, 4)[1], [np.sin(1), np.cos(1), np.sin(0.01), np.cos(0.01)])
    edge = lipsync.frame_tokens(features, 0, 25.0) - lipsync.positional(30, 4)
    assert np.allclose(edge[:12], 0) and np.allclose(edge[12:], features[:6].reshape(-1, 4))
    end = lipsync.frame_tokens(features, 49, 25.0) - lipsync.positional(30, 4)
    assert np.allclose(end[:15], features[94:99].reshape(-1, 4)) and np.allclose(end[18:], 0)


def test_the_face_box_is_centred_on_the_nose() -> None:
    from dhcore.facemesh.landmarks import CHIN

    points = np.zeros((478, 3), np.float32)
    points[:, 0], points[:, 1] = 100, 150
    points[lipsync.FACE_OVAL, 0] = np.linspace(60, 140, len(lipsync.FACE_OVAL))
    points[lipsync.NOSE, 1], points[CHIN, 1] = 150, 200
    assert lipsync.face_box(points, 300, 300, 0.04) == (60, 100, 140, 204)
    assert lipsync.face_box(points, 120, 190, 0.04) == (60, 100, 120, 190)  # inside the frame


def test_the_tiny_model_redraws_only_the_lower_face(tmp_path: Path) -> None:
    model = load(write_tiny_model(tmp_path))
    rate = 16000
    t = np.arange(int(1.3 * rate)) / rate
    speech = (0.3 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(np.float32)
    features = lipsync.audio_features(speech, model.whisper, "cpu")
    assert features.shape == (65, 3, 32)  # 50 a second, embeddings + 2 layers, whisper's width
    crops = np.random.default_rng(0).integers(0, 255, (2, 64, 64, 3), dtype=np.uint8)
    tokens = np.stack([lipsync.frame_tokens(features, i, 25.0) for i in (3, 20)])
    out = lipsync.redraw(model, crops, tokens)
    assert out.shape == (2, 64, 64, 3) and out.dtype == np.uint8
    frame = np.full((200, 160, 3), 90, np.uint8)
    pasted = lipsync.paste(frame, out[0], (40, 30, 120, 150))
    assert (pasted[:80] == 90).all() and (pasted[:, :40] == 90).all() and (pasted[155:] == 90).all()
    assert (pasted[110:140, 60:100] != 90).any()  # the chin area came from the model


def test_the_stage_lip_syncs_rendered_frames_on_cpu(tmp_path: Path) -> None:
    from scipy.io import wavfile

    from dhcore.demo.face_assets import portrait
    from dhcore.media.frames import FrameWriter, probe
    from dhcore.stages import get

    write_tiny_model(tmp_path / "models")
    photo = np.ascontiguousarray(portrait()[::2, ::2])
    h, w = photo.shape[:2]
    with FrameWriter(tmp_path / "in.nut", Fraction(25), w, h) as writer:
        for _ in range(12):
            writer.write(photo)
    t = np.arange(int(0.5 * 16000)) / 16000
    wavfile.write(tmp_path / "speech.wav", 16000, (0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32))
    stage = get("talking_head.musetalk")
    params = stage.Params(face_size=64, batch_size=5, device="cpu")
    assert stage.model_ids(params) == [ids.MUSETALK] and stage.device_for(params) == "cpu"
    result = stage.call(tmp_path / "out", params, models_root=tmp_path / "models",
                        frames=tmp_path / "in.nut", audio=tmp_path / "speech.wav")  # fmt: skip
    info = probe(result.outputs["frames"].path, count_frames=True)
    assert (info.width, info.height, info.frames) == (w, h, 12) and result.metrics[
        "lipsync_frames_without_face"
    ] == 0
    from dhcore.media.frames import iter_frames

    first = next(iter_frames(result.outputs["frames"].path))[0]
    changed = np.abs(first.astype(int) - photo.astype(int)).sum(2) > 30
    rows = np.nonzero(changed.any(1))[0]
    assert changed.mean() > 0.005 and rows.min() > h * 0.3  # the lower face only, never the forehead


SPEC = """\
version: 1
kind: talking_head
portrait: portrait.png
speech: {{audio: speech.wav}}
backend: musetalk
backend_params: {{face_size: 64{extra}}}
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from scipy.io import wavfile

    from dhcore.demo.assets import png_writer
    from dhcore.demo.face_assets import portrait

    root = tmp_path_factory.mktemp("musetalk")
    png_writer(np.ascontiguousarray(portrait()[::2, ::2]))(root / "portrait.png")
    t = np.arange(16000) / 16000
    wavfile.write(root / "speech.wav", 16000, (0.3 * np.sin(2 * np.pi * 180 * t)).astype(np.float32))
    return root


def spec(inputs: Path, name: str, extra: str = "") -> Path:
    path = inputs / f"{name}.yaml"  # beside its inputs: inside the allowed roots
    path.write_text(SPEC.format(extra=extra))
    return path


def test_a_missing_model_or_a_bad_param_is_a_located_error(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.spec.loader import SpecError, load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    path = spec(inputs, "missing")
    with pytest.raises(SpecError) as err:
        load_spec(path)
    expected = tmp_path / "models" / ids.MUSETALK
    assert f"{path}:5:10: backend: model 'musetalk_1_5' is not installed: missing {expected}" in str(
        err.value
    )
    assert "dh models add musetalk_1_5" in str(err.value)
    write_tiny_model(tmp_path / "models")
    bad = spec(inputs, "bad", extra=", batch_size: 0")
    with pytest.raises(
        SpecError, match=r"bad\.yaml:6:\d+: backend_params\.batch_size: .*greater than or equal to 1"
    ):
        load_spec(bad)


def test_the_backend_plans_its_stage_after_the_mesh_and_routes_to_the_gpu_unless_pinned(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.models.licences import commercial_problems, spec_models
    from dhcore.plan import plan
    from dhcore.routing import deployment_for
    from dhcore.spec.loader import load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    write_tiny_model(tmp_path / "models")
    loaded = load_spec(spec(inputs, "plain"))
    calls = plan(loaded).calls
    assert [c.stage for c in calls] == [
        "talking_head.mesh",
        "talking_head.musetalk",
        "assemble",
        "talking_head.figures",
    ]
    assert calls[1].params.face_size == 64 and calls[2].inputs["frames"].call == "lipsync"
    assert (("backend",), ids.MUSETALK) in spec_models(loaded.spec)
    commercial = loaded.spec.model_copy(update={"licence": "commercial"})
    refused = [m for _, m in commercial_problems(commercial)]  # the kind's dlib is refused; MuseTalk is not
    assert any("'dlib_face_models'" in m for m in refused) and not any("musetalk" in m for m in refused)
    assert deployment_for(loaded.spec) == "talking-head/talking-head-gpu"
    pinned = load_spec(spec(inputs, "pinned", extra=", device: cpu"))
    assert deployment_for(pinned.spec) == "talking-head/talking-head"


def test_a_dubbed_video_is_lip_synced_after_the_mesh_video_stage(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dhcore.demo.face_assets import portrait
    from dhcore.media.frames import FrameWriter
    from dhcore.plan import plan
    from dhcore.spec.loader import load_spec

    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    write_tiny_model(tmp_path / "models")
    photo = np.ascontiguousarray(portrait()[::2, ::2])
    with FrameWriter(inputs / "clip.nut", Fraction(25), *photo.shape[1::-1]) as writer:
        for _ in range(5):
            writer.write(photo)
    path = spec(inputs, "dub")
    path.write_text(path.read_text().replace("portrait: portrait.png", "video: clip.nut"))
    calls = plan(load_spec(path)).calls
    assert [c.stage for c in calls][:2] == ["talking_head.mesh_video", "talking_head.musetalk"]
    assert calls[1].inputs["frames"].call == calls[0].id and calls[2].inputs["frames"].call == "lipsync"
