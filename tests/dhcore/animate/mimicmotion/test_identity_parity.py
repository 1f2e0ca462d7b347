"""StableAnimator's identity path against its reference data: the face encoder and the ID-adapter
attention (tiny goldens), and the full-size checkpoint manifests of its three release files.

Tolerances: 1e-5 (single modules in float32; the reference ran the same arithmetic on CPU).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from safetensors.torch import load_file

from dhcore.animate.animate_anyone.checkpoints import load_into
from dhcore.animate.mimicmotion.denoiser import MimicMotionNet
from dhcore.animate.mimicmotion.face_encoder import FaceEncoder
from dhcore.animate.mimicmotion.id_attention import ClipOnlyProcessor, IDAttnProcessor, install_id_adapter

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture(scope="module")
def reference() -> Path:
    base = Path(os.environ["DH_SHARED_DIR"]) if os.environ.get("DH_SHARED_DIR") else REPO.parent / "shared"
    folder = base / "reference" / "stableanimator"
    if not (folder / "tiny" / "index.json").is_file():
        pytest.skip("StableAnimator reference data not found (../shared/reference/stableanimator)")
    return folder


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    assert a.shape == b.shape, (a.shape, b.shape)
    return (a - b).abs().max().item()


def test_parity_face_encoder(reference: Path) -> None:
    cfg = json.loads((reference / "tiny" / "configs" / "face_encoder_config.json").read_text())[
        "FusionFaceId"
    ]
    encoder = FaceEncoder(cfg["cross_attention_dim"], cfg["id_embeddings_dim"], cfg["clip_embeddings_dim"])
    load_into(encoder, load_file(reference / "tiny" / "weights" / "face_encoder_tiny.safetensors"), "tiny")
    g = load_file(reference / "tiny" / "golden_face_encoder.safetensors")
    seen: dict[str, torch.Tensor] = {}
    perceiver = encoder.fusion_model
    hooks = [
        encoder.proj.register_forward_hook(lambda m, i, o: seen.__setitem__("proj", o)),
        encoder.norm.register_forward_hook(lambda m, i, o: seen.__setitem__("tokens_after_norm", o)),
        perceiver.proj_in.register_forward_hook(lambda m, i, o: seen.__setitem__("perceiver_proj_in", o)),
        perceiver.proj_out.register_forward_hook(lambda m, i, o: seen.__setitem__("perceiver_proj_out", o)),
    ]
    for i, (attention, ff) in enumerate(perceiver.layers):
        hooks.append(
            attention.register_forward_hook(lambda m, a, o, i=i: seen.__setitem__(f"layer{i}.attn_out", o))
        )
        hooks.append(ff.register_forward_hook(lambda m, a, o, i=i: seen.__setitem__(f"layer{i}.ff_out", o)))
    with torch.no_grad():
        out = encoder(g["input.id_embeds"], g["input.clip_embeds"])
    for h in hooks:
        h.remove()
    for name, value in seen.items():
        assert _max_diff(value, g[f"intermediate.{name}"]) < 1e-5, name
    assert len(seen) == 12
    assert _max_diff(out, g["output.faceid_latents"]) < 1e-5
    with torch.no_grad():
        short = encoder(g["input.id_embeds"], g["input.clip_embeds"], shortcut=True, scale=0.5)
    assert _max_diff(short, g["output.faceid_latents_shortcut_scale0.5"]) < 1e-5


def _attention(reference: Path, name: str, **kwargs) -> Attention:
    attn = Attention(query_dim=64, heads=4, dim_head=16, out_bias=True, **kwargs)
    state = load_file(reference / "tiny" / "weights" / f"{name}_tiny.safetensors")
    if name == "id_attn2":
        attn.set_processor(IDAttnProcessor(64, 32))
    load_into(attn, state, name)
    return attn.eval()


def test_parity_id_attention(reference: Path) -> None:
    g = load_file(reference / "tiny" / "golden_id_attention.safetensors")
    hidden, context = g["input.hidden_states"], g["input.encoder_hidden_states"]
    attn2 = _attention(reference, "id_attn2", cross_attention_dim=32, bias=False)
    attn1 = _attention(reference, "attn1")
    with torch.no_grad():
        assert _max_diff(attn2(hidden, context), g["output.attn2_id"]) < 1e-5
        zero_ids = torch.cat([context[:, :1], torch.zeros_like(context[:, 1:])], dim=1)
        assert _max_diff(attn2(hidden, zero_ids), g["output.attn2_id_zero_id_tokens"]) < 1e-5
        attn2.set_processor(AttnProcessor2_0())  # the layer's plain attention, CLIP token only
        assert (
            _max_diff(attn2(hidden, context[:, :1]), g["output.attn2_plain_clip_only_default_processor"])
            < 1e-5
        )
        assert _max_diff(attn1(hidden), g["output.attn1"]) < 1e-5


def _meta(path: Path) -> dict[str, torch.Tensor]:
    return {k: torch.empty(s, device="meta") for k, s in json.loads(path.read_text()).items()}


def test_checkpoint_stableanimator_manifests_load_key_for_key(reference: Path) -> None:
    svd = reference.parent / "mimicmotion" / "manifests" / "svd_base_configs"
    with torch.device("meta"):
        net = MimicMotionNet(json.loads((svd / "unet_config.json").read_text()))
        encoder = FaceEncoder()
    install_id_adapter(net.unet)
    manifests = reference / "manifests"
    load_into(
        net.unet, _meta(manifests / "unet.json"), "manifest unet.pth"
    )  # 1428 SVD keys + 32 adapter keys
    load_into(net.pose_net, _meta(manifests / "pose_net.json"), "manifest pose_net.pth")
    load_into(encoder, _meta(manifests / "face_encoder.json"), "manifest face_encoder.pth")
    processors = net.unet.attn_processors.values()
    assert sum(isinstance(p, IDAttnProcessor) for p in processors) == 16
    assert sum(isinstance(p, ClipOnlyProcessor) for p in processors) == 16
    assert len(net.unet.state_dict()) == 1460
    assert sum(p.numel() for p in encoder.parameters()) == 57_183_232
