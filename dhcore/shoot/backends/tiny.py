"""Tiny random checkpoints in the exact public layouts, built from config like diffusers' own tests.

They let tests (and flow tests) run the real loading path on CPU in seconds, offline:

    folder = write_tiny_arc2face(tmp / "arc2face_src")
    registry.add("arc2face", folder)            # with DH_MODELS_DIR pointing at a temp folder

The tokenizer is written here too (a CLIP BPE vocabulary of the byte alphabet plus a few whole
words), so nothing comes from a hub. Weights are random: images are noise-like, but every
component, key name and file is where the public checkpoints put it. The SD1.5 VAE is saved
with the legacy attention key names some public VAE files still carry, so the rename path runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

#: words that become single tokens (everything else falls back to bytes, as in real CLIP BPE)
TINY_WORDS = (
    "photo", "of", "a", "id", "person", "portrait", "woman", "man", "smiling", "in", "the", "studio",
    "light", "red", "blue", "coat", "dress", "suit", "outdoor", "headshot",
)  # fmt: skip
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
MAX_LENGTH = 77


def _byte_alphabet() -> list[str]:
    """CLIP's byte-level alphabet: printable bytes stand for themselves, the rest map above U+0100."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def write_tiny_tokenizer(folder: Path, pad_token: str = EOS) -> int:
    """vocab.json, merges.txt and the two token configs of a tiny CLIP BPE tokenizer; returns its size."""
    alphabet = _byte_alphabet()
    vocab: dict[str, int] = {}
    for token in [*alphabet, *(c + "</w>" for c in alphabet)]:
        vocab.setdefault(token, len(vocab))
    merges: list[str] = []
    for word in TINY_WORDS:
        parts = [*word[:-1], word[-1] + "</w>"]
        while len(parts) > 1:
            merged = parts[0] + parts[1]
            if f"{parts[0]} {parts[1]}" not in merges:
                merges.append(f"{parts[0]} {parts[1]}")
            vocab.setdefault(merged, len(vocab))
            parts = [merged, *parts[2:]]
    vocab[BOS] = len(vocab)
    vocab[EOS] = len(vocab)  # highest id, as in CLIP (pooling by argmax relies on it)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    special = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": pad_token}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    config = {
        "tokenizer_class": "CLIPTokenizer",
        "model_max_length": MAX_LENGTH,
        "do_lower_case": True,
        **special,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2))
    return len(vocab)


def _clip_config(vocab_size: int, hidden: int, projection_dim: int | None = None):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=MAX_LENGTH, projection_dim=projection_dim or hidden,
        bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1, pad_token_id=vocab_size - 1,
    )  # fmt: skip


def _save_clip(model: torch.nn.Module, folder: Path) -> None:
    """config.json + model.safetensors with the `text_model.` keys that public (transformers 4) files carry."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    model.config.to_json_file(str(folder / "config.json"))
    state = {}
    for key, value in model.state_dict().items():
        public = key if key.startswith(("text_model.", "text_projection.")) else "text_model." + key
        state[public] = value.detach().clone().contiguous()
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})


def _save_diffusers(model: torch.nn.Module, folder: Path, legacy_attention: bool = False) -> None:
    """config.json + diffusion_pytorch_model.safetensors (optionally with pre-0.14 attention key names)."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    model.save_config(str(folder))
    state = {}
    for key, value in model.state_dict().items():
        if legacy_attention and ".attentions." in key and not key.startswith(("down_blocks", "up_blocks")):
            for new, old in ((".to_q.", ".query."), (".to_k.", ".key."), (".to_v.", ".value."), (".to_out.0.", ".proj_attn.")):  # fmt: skip
                key = key.replace(new, old)
        state[key] = value.detach().clone().contiguous()
    save_file(state, str(folder / "diffusion_pytorch_model.safetensors"), metadata={"format": "pt"})


def _tiny_vae(scaling_factor: float):
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(16, 32), layers_per_block=1,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"), norm_num_groups=8, sample_size=64,
        scaling_factor=scaling_factor,
    )  # fmt: skip


def _scheduler_config(folder: Path, kind: str) -> None:
    """The public SD1.5 (PNDM) / SDXL (Euler, leading spacing) scheduler configs: the training noise schedule."""
    config: dict[str, object] = {
        "num_train_timesteps": 1000, "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
        "trained_betas": None, "steps_offset": 1, "clip_sample": False, "set_alpha_to_one": False,
        "skip_prk_steps": True, "prediction_type": "epsilon",
    }  # fmt: skip
    if kind == "sd15":
        config = {"_class_name": "PNDMScheduler", **config}
    else:
        config = {"_class_name": "EulerDiscreteScheduler", **config, "interpolation_type": "linear",
                  "timestep_spacing": "leading", "use_karras_sigmas": False}  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scheduler_config.json").write_text(json.dumps(config, indent=2))


def write_tiny_arc2face(folder: Path, seed: int = 0) -> Path:
    """A random Arc2Face folder: arc2face/ (UNet), encoder/ (CLIP text, width 512), vae/, scheduler/, tokenizer/."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel

    folder = Path(folder)
    vocab_size = write_tiny_tokenizer(folder / "tokenizer")
    torch.manual_seed(seed)
    width = 512  # the ArcFace vector (512) must fit in the text width, as in the real 768-wide encoder
    _save_clip(CLIPTextModel(_clip_config(vocab_size, width)), folder / "encoder")
    torch.manual_seed(seed + 1)
    unet = UNet2DConditionModel(
        sample_size=32, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=width, attention_head_dim=2, norm_num_groups=8,
    )  # fmt: skip
    _save_diffusers(unet, folder / "arc2face")
    torch.manual_seed(seed + 2)
    _save_diffusers(_tiny_vae(0.18215), folder / "vae", legacy_attention=True)
    _scheduler_config(folder / "scheduler", "sd15")
    return folder


def write_tiny_cosmicman(folder: Path, seed: int = 0) -> Path:
    """A random SDXL folder: unet/ (text_time conditioning), vae/, text_encoder(_2)/, tokenizer(_2)/, scheduler/."""
    from diffusers import UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    folder = Path(folder)
    vocab_size = write_tiny_tokenizer(folder / "tokenizer")
    write_tiny_tokenizer(folder / "tokenizer_2", pad_token="!")  # SDXL's second tokenizer pads with "!"
    torch.manual_seed(seed)
    _save_clip(CLIPTextModel(_clip_config(vocab_size, 32)), folder / "text_encoder")
    torch.manual_seed(seed + 1)
    _save_clip(
        CLIPTextModelWithProjection(_clip_config(vocab_size, 32, projection_dim=32)),
        folder / "text_encoder_2",
    )
    torch.manual_seed(seed + 2)
    time_dim = 8
    unet = UNet2DConditionModel(
        sample_size=32, in_channels=4, out_channels=4, layers_per_block=1, block_out_channels=(16, 32),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4), use_linear_projection=True, transformer_layers_per_block=(1, 2),
        addition_embed_type="text_time", addition_time_embed_dim=time_dim,
        projection_class_embeddings_input_dim=6 * time_dim + 32,  # 6 size/crop numbers + the pooled text width
        cross_attention_dim=64, norm_num_groups=8,  # both text widths concatenated
    )  # fmt: skip
    _save_diffusers(unet, folder / "unet")
    torch.manual_seed(seed + 3)
    _save_diffusers(_tiny_vae(0.13025), folder / "vae")
    _scheduler_config(folder / "scheduler", "sdxl")
    return folder
