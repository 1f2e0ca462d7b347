"""Tiny random Wan-Animate pipelines, for tests and CPU benchmarks.

Diffusers' own classes built from tiny configs with seeded random weights, written in the
release folder's layout (the transformer in 15 shards with its index, the text encoder and
tokenizer beside it) and registered with `registry.add`, so tests go through the real loading
path: the registry's hashes, then `WanAnimatePipeline.from_pretrained(folder, local_files_only=True)`.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import torch
from diffusers import (
    AutoencoderKLWan,
    UniPCMultistepScheduler,
    WanAnimatePipeline,
    WanAnimateTransformer3DModel,
)
from safetensors.torch import save_file
from transformers import (
    CLIPImageProcessor,
    CLIPVisionConfig,
    CLIPVisionModel,
    PreTrainedTokenizerFast,
    UMT5Config,
    UMT5EncoderModel,
)

from dhcore.animate.wan_animate.layout import TEXT_ENCODER_SHARDS, TRANSFORMER_SHARDS, WAN_ANIMATE_ID
from dhcore.demo.dance import face_template
from dhcore.media.frames import FrameWriter
from dhcore.models import registry
from dhcore.pose.keypoints import PoseSequence

# motion encoder at 16x16 faces: conv_in at 16, residual blocks down to 4, conv_out 4x4 -> 1x1
TINY_TRANSFORMER = {
    "patch_size": [1, 2, 2],
    "num_attention_heads": 2,
    "attention_head_dim": 12,
    "in_channels": 36,
    "latent_channels": 16,
    "out_channels": 16,
    "text_dim": 32,
    "freq_dim": 32,
    "ffn_dim": 32,
    "num_layers": 2,
    "image_dim": 32,
    "rope_max_seq_len": 32,
    "motion_encoder_channel_sizes": {"16": 8, "8": 8, "4": 8},
    "motion_encoder_size": 16,
    "motion_style_dim": 16,
    "motion_dim": 4,
    "motion_encoder_dim": 16,
    "face_encoder_hidden_dim": 16,
    "face_encoder_num_heads": 2,
    "inject_face_latents_blocks": 2,
    "motion_encoder_batch_size": 8,
}
TINY_VAE = {
    "base_dim": 8,
    "z_dim": 16,
    "dim_mult": [1, 1, 1, 1],
    "num_res_blocks": 1,
    "temperal_downsample": [False, True, True],
}
TINY_CLIP = {
    "hidden_size": 32,
    "intermediate_size": 64,
    "projection_dim": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 32,
    "patch_size": 8,
}
TINY_UMT5 = {
    "vocab_size": 64,
    "d_model": 32,
    "d_kv": 8,
    "d_ff": 64,
    "num_layers": 2,
    "num_heads": 4,
    "relative_attention_num_buckets": 8,
    "feed_forward_proj": "gated-gelu",
    "pad_token_id": 0,
    "eos_token_id": 1,
}
#: the release's scheduler: UniPC on flow-matching sigmas (the real values: tiny runs sample alike)
WAN_SCHEDULER = {
    "prediction_type": "flow_prediction",
    "use_flow_sigmas": True,
    "flow_shift": 5.0,
    "num_train_timesteps": 1000,
    "solver_order": 2,
}


def _tokenizer() -> PreTrainedTokenizerFast:
    """A word-level tokenizer over a few words, built offline with the `tokenizers` library."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = ["<pad>", "</s>", "<unk>", *"a the person in video is moving dancing dances people".split()]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>"
    )


def tiny_pipeline(seed: int = 0, cls: type[WanAnimatePipeline] = WanAnimatePipeline) -> WanAnimatePipeline:
    """The tiny pipeline in memory (seeded random weights)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        transformer = WanAnimateTransformer3DModel(**TINY_TRANSFORMER)
        vae = AutoencoderKLWan(**TINY_VAE)
        image_encoder = CLIPVisionModel(CLIPVisionConfig(**TINY_CLIP))
        text_encoder = UMT5EncoderModel(UMT5Config(**TINY_UMT5))
    return cls(
        tokenizer=_tokenizer(),
        text_encoder=text_encoder.eval(),
        vae=vae.eval(),
        scheduler=UniPCMultistepScheduler(**WAN_SCHEDULER),
        image_processor=CLIPImageProcessor(crop_size=TINY_CLIP["image_size"], size=TINY_CLIP["image_size"]),
        image_encoder=image_encoder.eval(),
        transformer=transformer.eval(),
    )


def _shard(state: dict[str, torch.Tensor], names: tuple[str, ...], folder: Path, index_name: str) -> None:
    """Write `state` across the release's shard files (round robin) with their index."""
    keys = sorted(state)
    weight_map = {k: names[i % len(names)] for i, k in enumerate(keys)}
    for name in names:
        part = {k: state[k].contiguous() for k in keys if weight_map[k] == name}
        save_file(part, str(folder / name), metadata={"format": "pt"})
    total = sum(v.numel() * v.element_size() for v in state.values())
    (folder / index_name).write_text(
        json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map})
    )


def write_folder(dest: Path, seed: int = 0) -> Path:
    """The tiny pipeline saved by diffusers, then its big files re-split as the release ships them."""
    dest = Path(dest)
    tiny_pipeline(seed).save_pretrained(dest, safe_serialization=True)
    for sub, names, single, index in (
        ("transformer", TRANSFORMER_SHARDS, "diffusion_pytorch_model.safetensors",
         "diffusion_pytorch_model.safetensors.index.json"),
        ("text_encoder", TEXT_ENCODER_SHARDS, "model.safetensors", "model.safetensors.index.json"),
    ):  # fmt: skip
        from safetensors.torch import load_file

        path = dest / sub / single
        state = load_file(str(path))
        path.unlink()
        _shard(state, names, dest / sub, index)
    return dest


def install_tiny(dest: Path, root: Path | None = None, seed: int = 0) -> str:
    """Write the tiny folder and register it (`dh models add wan_animate FOLDER`)."""
    registry.add(WAN_ANIMATE_ID, write_folder(Path(dest) / "wan_animate", seed), root)
    return WAN_ANIMATE_ID


def drifting_face_pose(frames: int, width: int, height: int, fps: float = 24.0) -> PoseSequence:
    """Driving poses with a face drifting right: 68 landmarks around (0.3 + 0.02 i, 0.4), nose at their centre."""
    pose = PoseSequence.empty(frames, width, height, fps)
    template = face_template()[:, :2]
    template = (template - template.mean(axis=0)) / np.ptp(template, axis=0).max() * 0.2
    for i in range(frames):
        centre = np.array([0.3 + 0.02 * (i % 20), 0.4])
        pose.face[i, :, :2] = template + centre
        pose.face[i, :, 2] = 0.9
        pose.body[i, 0] = (*centre, 0.9)
    return pose


def write_inputs(
    root: Path, frames: int, width: int, height: int, driving: tuple[int, int] = (80, 60), seed: int = 0
) -> dict[str, Path]:
    """Random animate inputs (reference photo, skeleton frames, a driving video with a face pose), streamed."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = {
        "ref": root / "ref.png", "ref_pose": root / "ref_pose.npz", "target": root / f"target_{frames}.npz",
        "skeleton": root / f"skeleton_{frames}.nut", "video": root / f"driving_{frames}.nut",
        "pose": root / f"driving_{frames}.npz",
    }  # fmt: skip
    cv2.imwrite(str(paths["ref"]), rng.integers(0, 255, (height + 22, width + 2, 3), dtype=np.uint8))
    PoseSequence.empty(1, width + 2, height + 22, 24.0).save(paths["ref_pose"])
    PoseSequence.empty(frames, width, height, 24.0).save(paths["target"])
    drifting_face_pose(frames, *driving).save(paths["pose"])
    for key, (w, h) in (("skeleton", (width, height)), ("video", driving)):
        with FrameWriter(paths[key], 24, w, h) as writer:
            for start in range(0, frames, 16):
                writer.write(rng.integers(0, 255, (min(16, frames - start), h, w, 3), dtype=np.uint8))
    return paths
