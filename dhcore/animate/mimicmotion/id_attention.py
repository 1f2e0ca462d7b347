"""StableAnimator's ID adapter: identity tokens enter the SVD UNet's spatial cross-attention.

The context of the spatial `attn2` layers is [CLIP token; identity tokens]. The CLIP part is
plain attention; the identity part is attended through new key/value projections (`id_to_k`,
`id_to_v`, keys `<block>.attn2.processor.*` of `unet.pth`), rescaled to the plain output's mean
and standard deviation per sample, and added. Temporal cross-attention sees the CLIP token only.
With zero identity tokens (the unconditional branch) the identity part is zero and the
rescaling adds the plain output's mean: that is the trained behaviour, kept as is.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from torch import nn


def _attend(attn: Attention, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    b, heads = query.shape[0], attn.heads
    split = lambda t: t.reshape(b, -1, heads, t.shape[-1] // heads).transpose(1, 2)  # noqa: E731
    out = F.scaled_dot_product_attention(split(query), split(key), split(value))
    return out.transpose(1, 2).reshape(b, -1, heads * out.shape[-1])


class IDAttnProcessor(nn.Module):
    def __init__(self, hidden_size: int, cross_attention_dim: int, num_tokens: int = 4, scale: float = 1.0):
        super().__init__()
        self.num_tokens, self.scale = num_tokens, scale
        self.id_to_k = nn.Linear(cross_attention_dim, hidden_size, bias=False)
        self.id_to_v = nn.Linear(cross_attention_dim, hidden_size, bias=False)

    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        *args,
        **kwargs,
    ) -> torch.Tensor:
        query = attn.to_q(hidden_states)
        end = encoder_hidden_states.shape[1] - self.num_tokens
        context, ids = encoder_hidden_states[:, :end], encoder_hidden_states[:, end:]
        plain = _attend(attn, query, attn.to_k(context), attn.to_v(context))
        identity = _attend(attn, query, self.id_to_k(ids), self.id_to_v(ids))
        dims = (1, 2)
        identity = (identity - identity.mean(dim=dims, keepdim=True)) * (
            plain.std(dim=dims, keepdim=True) / (identity.std(dim=dims, keepdim=True) + 1e-5)
        ) + plain.mean(dim=dims, keepdim=True)
        out = attn.to_out[0](plain + self.scale * identity)
        return attn.to_out[1](out) / attn.rescale_output_factor


class ClipOnlyProcessor(AttnProcessor2_0):
    """Temporal cross-attention: the identity tokens at the end of the context are not for it."""

    def __init__(self, num_tokens: int = 4):
        super().__init__()
        self.num_tokens = num_tokens

    def __call__(
        self, attn: Attention, hidden_states: torch.Tensor, encoder_hidden_states=None, *args, **kwargs
    ):
        context = encoder_hidden_states[:, : encoder_hidden_states.shape[1] - self.num_tokens]
        return super().__call__(attn, hidden_states, context, *args, **kwargs)


def install_id_adapter(unet: nn.Module, num_tokens: int = 4) -> None:
    """Give every spatial attn2 an ID processor and every temporal attn2 the CLIP-only one."""
    for name, module in unet.named_modules():
        if not (isinstance(module, Attention) and name.endswith("attn2")):
            continue
        if ".temporal_transformer_blocks." in name:
            module.set_processor(ClipOnlyProcessor(num_tokens))
        else:
            module.set_processor(
                IDAttnProcessor(module.to_q.out_features, module.to_k.in_features, num_tokens)
            )
