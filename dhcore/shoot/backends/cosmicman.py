"""Backend `cosmicman`: CosmicMan-SDXL (CVPR 2024), an SDXL UNet fine-tuned on human photos, for prompt looks.

It only draws the portrait the prompt describes; the identity is put on afterwards by the face
stack (the flow chains `face.refine` after it). The pipeline is SDXL's own: both CLIP text
encoders, size/crop micro-conditioning, zero negative states for an empty negative prompt (as
the SDXL base pipeline the authors load), no watermark, no refiner. Defaults follow the
authors' demo: Euler ancestral, 30 steps, guidance 7.5.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch

from dhcore.errors import InputError, ModelError
from dhcore.models import ids
from dhcore.models.state_dict import read_json
from dhcore.shoot.backends.diffusion import (
    SchedulerName,
    cached,
    check_size,
    make_scheduler,
    pick_device,
    seeded_generator,
    write_png,
)
from dhcore.shoot.backends.weights import (
    check_layout,
    installed_folder,
    load_clip_tokenizer,
    load_module,
)
from dhcore.shoot.base import ShootInputs
from dhcore.shoot.params import CosmicManParams
from dhcore.stage import Output, StageParams, StageResult

MODEL_ID = ids.COSMICMAN_SDXL

SOURCES = {
    "unet": "cosmicman/CosmicMan-SDXL (its config.json + diffusion_pytorch_model.safetensors)",
    "vae": "stable-diffusion-xl-base-1.0 vae/",
    "text_encoder": "stable-diffusion-xl-base-1.0 text_encoder/",
    "text_encoder_2": "stable-diffusion-xl-base-1.0 text_encoder_2/",
    "scheduler": "stable-diffusion-xl-base-1.0 scheduler/",
    "tokenizer": "stable-diffusion-xl-base-1.0 tokenizer/",
    "tokenizer_2": "stable-diffusion-xl-base-1.0 tokenizer_2/",
}


@dataclass
class CosmicManComponents:
    unet: Any
    vae: Any
    text_encoder: Any
    text_encoder_2: Any
    tokenizer: Any
    tokenizer_2: Any
    scheduler_config: dict[str, Any]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pipeline(self, scheduler: SchedulerName) -> Any:
        """An SDXL pipeline over the shared components with a fresh scheduler."""
        from diffusers import StableDiffusionXLPipeline

        pipe = StableDiffusionXLPipeline(
            vae=self.vae, text_encoder=self.text_encoder, text_encoder_2=self.text_encoder_2,
            tokenizer=self.tokenizer, tokenizer_2=self.tokenizer_2, unet=self.unet,
            scheduler=make_scheduler(scheduler, self.scheduler_config),
            force_zeros_for_empty_prompt=True, add_watermarker=False,
        )  # fmt: skip
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def prompt_tokens(self, prompt: str) -> int:
        """How many tokens the prompt takes (CLIP reads model_max_length - 2 of them)."""
        return len(self.tokenizer.encode(prompt, add_special_tokens=False))


def load_cosmicman(folder: Path, device: torch.device, dtype: torch.dtype) -> CosmicManComponents:
    """CosmicMan-SDXL from a folder in the SDXL diffusers layout (see `SOURCES`), on `device` in `dtype`."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    from dhcore.models import registry

    folder = Path(folder)
    check_layout(MODEL_ID, folder, registry.get(MODEL_ID).files, SOURCES)
    unet_config = read_json(folder / "unet/config.json")
    if unet_config.get("addition_embed_type") != "text_time":
        raise ModelError(
            f"{folder / 'unet/config.json'}: not an SDXL UNet (addition_embed_type must be 'text_time')"
        )
    unet = load_module(
        lambda: UNet2DConditionModel.from_config(unet_config),
        folder / "unet/diffusion_pytorch_model.safetensors", "CosmicMan UNet", device, dtype,
    )  # fmt: skip
    text_encoder = load_module(
        lambda: CLIPTextModel(CLIPTextConfig.from_dict(read_json(folder / "text_encoder/config.json"))),
        folder / "text_encoder/model.safetensors", "SDXL text_encoder", device, dtype,
    )  # fmt: skip
    text_encoder_2 = load_module(
        lambda: CLIPTextModelWithProjection(CLIPTextConfig.from_dict(read_json(folder / "text_encoder_2/config.json"))),
        folder / "text_encoder_2/model.safetensors", "SDXL text_encoder_2", device, dtype,
    )  # fmt: skip
    vae = load_module(
        lambda: AutoencoderKL.from_config(read_json(folder / "vae/config.json")),
        folder / "vae/diffusion_pytorch_model.safetensors", "SDXL VAE", device, dtype,
    )  # fmt: skip
    widths = text_encoder.config.hidden_size + text_encoder_2.config.hidden_size
    if unet.config.cross_attention_dim != widths:
        raise ModelError(
            f"{folder}: the UNet attends to {unet.config.cross_attention_dim}-wide text states but the two "
            f"text encoders give {widths} (parts from different models?)"
        )
    return CosmicManComponents(
        unet=unet, vae=vae, text_encoder=text_encoder, text_encoder_2=text_encoder_2,
        tokenizer=load_clip_tokenizer(folder / "tokenizer"), tokenizer_2=load_clip_tokenizer(folder / "tokenizer_2"),
        scheduler_config=read_json(folder / "scheduler/scheduler_config.json"),
    )  # fmt: skip


class CosmicManBackend:
    name: ClassVar[str] = "cosmicman"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    supports_prompts: ClassVar[bool] = True
    supports_templates: ClassVar[bool] = False
    Params: ClassVar[type[StageParams]] = CosmicManParams

    def model_ids(self, params: StageParams) -> list[str]:
        return [MODEL_ID]

    def generate(self, inputs: ShootInputs, params: StageParams, out_path: Path) -> StageResult:
        """The portrait the look's prompt describes, as a PNG (no identity yet: face.refine adds it)."""
        if not isinstance(params, CosmicManParams):
            raise TypeError(f"cosmicman takes CosmicManParams, got {type(params).__name__}")
        if not inputs.prompt:
            raise InputError(
                "cosmicman draws prompt looks: this look has no prompt (templates go to template_swap)"
            )
        check_size(inputs.width, inputs.height, self.name)
        device, dtype, warnings = pick_device(params)
        folder = installed_folder(MODEL_ID, SOURCES)
        from dhcore.models import registry

        key = (str(folder), registry.weights_sha256(MODEL_ID), str(device), str(dtype))
        parts = cached(self.name, key, lambda: load_cosmicman(folder, device, dtype))
        limit = parts.tokenizer.model_max_length - 2
        if (n := parts.prompt_tokens(inputs.prompt)) > limit:
            warnings.append(f"the prompt is {n} tokens long; the text encoders read only the first {limit}")
        started = time.perf_counter()
        with parts.lock, torch.inference_mode():
            image = parts.pipeline(params.scheduler)(
                prompt=inputs.prompt,
                negative_prompt=inputs.negative_prompt or None,
                height=inputs.height,
                width=inputs.width,
                num_inference_steps=params.steps,
                guidance_scale=params.guidance_scale,
                generator=seeded_generator(inputs.seed),
                output_type="np",
            ).images[0]  # fmt: skip
        seconds = time.perf_counter() - started
        write_png(image, Path(out_path))
        meta = {
            "backend": self.name, "model": MODEL_ID, "prompt": inputs.prompt,
            "negative_prompt": inputs.negative_prompt or "", "seed": inputs.seed, "steps": params.steps,
            "guidance_scale": params.guidance_scale, "scheduler": params.scheduler, "device": device.type,
            "dtype": str(dtype).removeprefix("torch."), "width": inputs.width, "height": inputs.height,
        }  # fmt: skip
        return StageResult(
            outputs={"image": Output(path=Path(out_path), kind="image", meta=meta)},
            metrics={"generate_seconds": round(seconds, 4)},
            warnings=warnings,
        )
