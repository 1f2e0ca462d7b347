"""The prompt embedding: the release prompts "" for both CFG branches, so one CLIP text-encoder
pass per run gives the context of every UNet, ControlNet and appearance-encoder call."""

from __future__ import annotations

import torch
from transformers import CLIPTextModel

from dhcore.animate.magicanimate.config import EMPTY_PROMPT_IDS


@torch.no_grad()
def empty_prompt_embedding(encoder: CLIPTextModel) -> torch.Tensor:
    """[1, 77, D]: the last hidden state (after the final LayerNorm) of the empty prompt."""
    p = next(encoder.parameters())
    ids = torch.tensor([EMPTY_PROMPT_IDS], dtype=torch.long, device=p.device)
    return encoder(input_ids=ids)[0]
