"""Backend `arc2face`: SD1.5 fine-tuned to draw a face from its ArcFace identity vector (Arc2Face, ECCV 2024).

The conditioning is the fixed prompt "photo of a id person" whose `id` token has its input
embedding replaced by the unit-length ArcFace vector, zero-padded to the text width; the
fine-tuned CLIP text encoder turns that into the UNet's cross-attention states. The negative
branch of classifier-free guidance encodes the empty prompt, as the public pipeline does.

Text prompts are not supported: the encoder and UNet were fine-tuned on that single prompt, so
extra words do not steer the image (the authors' method has no text control). Template looks
are: the template, cover-fitted to the output size, is the start image of an img2img run
(SDEdit) at `strength`, so it keeps the template's framing, light and colours while the
identity comes from the embedding. The embedding must come from the ArcFace model Arc2Face
was trained with (model `arc2face_arcface`); other ArcFace packs live in other vector spaces.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F

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
from dhcore.shoot.params import Arc2FaceParams
from dhcore.stage import Output, StageParams, StageResult

MODEL_ID = ids.ARC2FACE
ID_PROMPT = "photo of a id person"
ID_WORD = "id"
ARCFACE_DIM = 512

SOURCES = {
    "arc2face": "FoivosPar/Arc2Face arc2face/ (the fine-tuned UNet)",
    "encoder": "FoivosPar/Arc2Face encoder/ (fine-tuned CLIP text encoder; model.safetensors)",
    "vae": "stable-diffusion-v1-5 vae/",
    "scheduler": "stable-diffusion-v1-5 scheduler/",
    "tokenizer": "stable-diffusion-v1-5 tokenizer/",
}
BIN_HINT = (
    "The public encoder ships as encoder/pytorch_model.bin: convert it once with "
    "`python -m dhcore.shoot.backends.convert PATH/encoder/pytorch_model.bin` (writes model.safetensors beside it)."
)


class IdentityPromptEncoder:
    """ArcFace vector(s) [B, 512] -> the UNet's encoder_hidden_states [B, tokens, width]."""

    def __init__(self, text_encoder: Any, tokenizer: Any) -> None:
        width = int(text_encoder.config.hidden_size)
        if width < ARCFACE_DIM:
            raise ModelError(
                f"arc2face encoder is {width} wide; it must be >= {ARCFACE_DIM} to hold an ArcFace vector"
            )
        pieces = tokenizer.encode(ID_WORD, add_special_tokens=False)
        if len(pieces) != 1:
            raise ModelError(
                f"arc2face tokenizer splits {ID_WORD!r} into {len(pieces)} tokens; it must be one token"
            )
        ids = tokenizer(
            ID_PROMPT,
            padding="max_length",
            max_length=tokenizer.model_max_length,
            truncation=True,
            return_tensors="pt",
        ).input_ids
        self.id_mask = ids[0] == pieces[0]
        if int(self.id_mask.sum()) != 1:
            raise ModelError(
                f"arc2face tokenizer: {ID_PROMPT!r} must hold the {ID_WORD!r} token exactly once"
            )
        self.input_ids = ids
        self.id_position = int(self.id_mask.nonzero()[0, 0])
        self.text_encoder = text_encoder
        self.width = width

    def _with_identity(self, tokens: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        padded = F.pad(identity, (0, self.width - ARCFACE_DIM)).to(tokens.device, tokens.dtype)
        tokens = tokens.clone()
        tokens[:, self.id_mask.to(tokens.device)] = padded[:, None, :]
        return tokens

    def _ids(self, batch: int) -> torch.Tensor:
        return self.input_ids.to(self.text_encoder.device).expand(batch, -1)

    def token_embeddings(self, identity: torch.Tensor) -> torch.Tensor:
        """The prompt's input token embeddings with the `id` slot holding the padded identity vector."""
        table = self.text_encoder.get_input_embeddings()
        return self._with_identity(table(self._ids(identity.shape[0])), identity)

    def __call__(self, identity: torch.Tensor) -> torch.Tensor:
        # Swap the vector in at the token-embedding output, so positions, the causal mask and the
        # final layer norm run exactly as the library's own forward does.
        table = self.text_encoder.get_input_embeddings()
        handle = table.register_forward_hook(lambda _module, _args, out: self._with_identity(out, identity))
        try:
            return self.text_encoder(input_ids=self._ids(identity.shape[0])).last_hidden_state
        finally:
            handle.remove()


@dataclass
class Arc2FaceComponents:
    unet: Any
    vae: Any
    text_encoder: Any
    tokenizer: Any
    scheduler_config: dict[str, Any]
    identity_encoder: IdentityPromptEncoder
    lock: threading.Lock = field(default_factory=threading.Lock)

    def pipeline(self, scheduler: SchedulerName, img2img: bool) -> Any:
        """A pipeline over the shared components with a fresh scheduler (schedulers hold run state)."""
        from diffusers import StableDiffusionImg2ImgPipeline, StableDiffusionPipeline

        cls = StableDiffusionImg2ImgPipeline if img2img else StableDiffusionPipeline
        pipe = cls(
            vae=self.vae, text_encoder=self.text_encoder, tokenizer=self.tokenizer, unet=self.unet,
            scheduler=make_scheduler(scheduler, self.scheduler_config), safety_checker=None,
            feature_extractor=None, requires_safety_checker=False,
        )  # fmt: skip
        pipe.set_progress_bar_config(disable=True)
        return pipe


def load_arc2face(folder: Path, device: torch.device, dtype: torch.dtype) -> Arc2FaceComponents:
    """Arc2Face from a folder in the public layout (see `SOURCES`), on `device` in `dtype`."""
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from dhcore.models import registry

    folder = Path(folder)
    check_layout(MODEL_ID, folder, registry.get(MODEL_ID).files, SOURCES, BIN_HINT)
    unet = load_module(
        lambda: UNet2DConditionModel.from_config(read_json(folder / "arc2face/config.json")),
        folder / "arc2face/diffusion_pytorch_model.safetensors", "arc2face UNet", device, dtype,
    )  # fmt: skip
    text_encoder = load_module(
        lambda: CLIPTextModel(CLIPTextConfig.from_dict(read_json(folder / "encoder/config.json"))),
        folder / "encoder/model.safetensors", "arc2face encoder", device, dtype,
    )  # fmt: skip
    vae = load_module(
        lambda: AutoencoderKL.from_config(read_json(folder / "vae/config.json")),
        folder / "vae/diffusion_pytorch_model.safetensors", "SD1.5 VAE", device, dtype,
    )  # fmt: skip
    tokenizer = load_clip_tokenizer(folder / "tokenizer")
    if unet.config.cross_attention_dim != text_encoder.config.hidden_size:
        raise ModelError(
            f"{folder}: the UNet attends to {unet.config.cross_attention_dim}-wide text states but the "
            f"encoder is {text_encoder.config.hidden_size} wide (parts from different models?)"
        )
    return Arc2FaceComponents(
        unet=unet, vae=vae, text_encoder=text_encoder, tokenizer=tokenizer,
        scheduler_config=read_json(folder / "scheduler/scheduler_config.json"),
        identity_encoder=IdentityPromptEncoder(text_encoder, tokenizer),
    )  # fmt: skip


def load_identity(path: Path | None) -> torch.Tensor:
    """The identity's ArcFace vector [1, 512], rescaled to unit length as Arc2Face expects."""
    if path is None:
        raise InputError(
            "arc2face needs the identity's ArcFace embedding (a .npy of 512 floats); none was computed - "
            "install the ArcFace model Arc2Face uses: dh models add arc2face_arcface PATH/arcface.onnx"
        )
    try:
        raw = np.load(Path(path), allow_pickle=False)
        vector = np.asarray(raw, dtype=np.float64).reshape(-1)
    except (OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path}: cannot read the identity embedding ({exc})") from None
    if vector.size != ARCFACE_DIM:
        raise InputError(
            f"{path}: the identity embedding must hold {ARCFACE_DIM} values, not shape {list(raw.shape)}"
        )
    norm = float(np.linalg.norm(vector)) if np.isfinite(vector).all() else 0.0
    if norm < 1e-6:
        raise InputError(f"{path}: the identity embedding is zero or not finite")
    return torch.from_numpy((vector / norm).astype(np.float32))[None]


def load_template(path: Path, width: int, height: int) -> Any:
    """The template photo as an RGB PIL image, scaled to cover width x height and centre-cropped."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    from dhcore.media.geometry import cover_fit

    try:
        with Image.open(path) as img:
            rgb = np.asarray(ImageOps.exif_transpose(img).convert("RGB"))  # phone photos: apply EXIF rotation
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"{path}: cannot read the template image ({exc})") from None
    fitted = cover_fit(rgb.shape[1], rgb.shape[0], width, height).apply(rgb)
    return Image.fromarray(fitted)


class Arc2FaceBackend:
    name: ClassVar[str] = "arc2face"
    version: ClassVar[str] = "1"
    device: ClassVar[str] = "auto"
    supports_prompts: ClassVar[bool] = False
    supports_templates: ClassVar[bool] = True
    Params: ClassVar[type[StageParams]] = Arc2FaceParams

    def model_ids(self, params: StageParams) -> list[str]:
        return [MODEL_ID]

    def generate(self, inputs: ShootInputs, params: StageParams, out_path: Path) -> StageResult:
        """One portrait of the identity (from scratch, or from the look's template) as a PNG."""
        if not isinstance(params, Arc2FaceParams):
            raise TypeError(f"arc2face takes Arc2FaceParams, got {type(params).__name__}")
        if inputs.prompt:
            raise InputError(
                "arc2face cannot follow text prompts (it only knows its identity prompt); use cosmicman"
            )
        check_size(inputs.width, inputs.height, self.name)
        identity = load_identity(inputs.identity_embedding)
        template = None
        if inputs.template:
            if int(params.steps * params.strength) < 1:
                raise InputError(
                    f"template looks run steps x strength steps: {params.steps} x {params.strength} < 1"
                )
            template = load_template(inputs.template, inputs.width, inputs.height)
        device, dtype, warnings = pick_device(params)
        if inputs.negative_prompt:
            warnings.append("arc2face ignores negative prompts (its guidance uses the empty prompt)")
        folder = installed_folder(MODEL_ID, SOURCES, BIN_HINT)
        from dhcore.models import registry

        key = (str(folder), registry.weights_sha256(MODEL_ID), str(device), str(dtype))
        parts = cached(self.name, key, lambda: load_arc2face(folder, device, dtype))
        started = time.perf_counter()
        with parts.lock, torch.inference_mode():
            embeds = parts.identity_encoder(identity.to(device))
            pipe = parts.pipeline(params.scheduler, img2img=template is not None)
            common = dict(
                prompt_embeds=embeds, num_inference_steps=params.steps, guidance_scale=params.guidance_scale,
                generator=seeded_generator(inputs.seed), output_type="np",
            )  # fmt: skip
            if template is None:
                image = pipe(height=inputs.height, width=inputs.width, **common).images[0]
            else:
                image = pipe(image=template, strength=params.strength, **common).images[0]
        seconds = time.perf_counter() - started
        write_png(image, Path(out_path))
        meta = {
            "backend": self.name, "model": MODEL_ID, "seed": inputs.seed, "steps": params.steps,
            "guidance_scale": params.guidance_scale, "scheduler": params.scheduler, "device": device.type,
            "dtype": str(dtype).removeprefix("torch."), "width": inputs.width, "height": inputs.height,
            "prompt": ID_PROMPT, "template": str(inputs.template) if inputs.template else None,
            "strength": params.strength if template is not None else None,
        }  # fmt: skip
        return StageResult(
            outputs={"image": Output(path=Path(out_path), kind="image", meta=meta)},
            metrics={"generate_seconds": round(seconds, 4)},
            warnings=warnings,
        )
