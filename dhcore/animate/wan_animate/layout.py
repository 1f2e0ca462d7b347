"""The file layout of Wan2.2-Animate-14B-Diffusers: torch-free, read by the model table and the loader."""

from __future__ import annotations

WAN_ANIMATE_ID = "wan_animate"
TRANSFORMER_SHARDS = tuple(f"diffusion_pytorch_model-{i:05d}-of-00015.safetensors" for i in range(1, 16))
TEXT_ENCODER_SHARDS = tuple(f"model-{i:05d}-of-00005.safetensors" for i in range(1, 6))
#: component folder -> the files from_pretrained reads there
COMPONENTS: dict[str, tuple[str, ...]] = {
    "transformer": ("config.json", "diffusion_pytorch_model.safetensors.index.json", *TRANSFORMER_SHARDS),
    "vae": ("config.json", "diffusion_pytorch_model.safetensors"),
    "image_encoder": ("config.json", "model.safetensors"),
    "image_processor": ("preprocessor_config.json",),
    "scheduler": ("scheduler_config.json",),
    "text_encoder": ("config.json", "model.safetensors.index.json", *TEXT_ENCODER_SHARDS),
    "tokenizer": ("tokenizer_config.json", "tokenizer.json"),
}
FILES: tuple[str, ...] = ("model_index.json", *(f"{c}/{f}" for c, fs in COMPONENTS.items() for f in fs))
