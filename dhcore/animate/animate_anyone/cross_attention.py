"""Cross-attention to the single CLIP image token, without the attention.

The context of both UNets is one token per batch element. A softmax over one key is exactly 1,
so every query receives that token's value: the output is to_out(to_v(token)) broadcast over the
tokens, whatever the queries are. Skipping to_q and the attention kernel gives the same numbers
and saves two projections per transformer block and frame.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from diffusers.models.attention import BasicTransformerBlock
from diffusers.models.attention_processor import Attention, AttnProcessor2_0
from torch import nn

_FALLBACK = AttnProcessor2_0()


class SingleTokenCrossAttnProcessor:
    def __call__(
        self,
        attn: Attention,
        hidden_states: torch.Tensor,
        encoder_hidden_states: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        *args: object,
        **kwargs: object,
    ) -> torch.Tensor:
        if encoder_hidden_states is None or encoder_hidden_states.shape[1] != 1 or attention_mask is not None:
            return _FALLBACK(attn, hidden_states, encoder_hidden_states, attention_mask)
        value = attn.to_out[1](attn.to_out[0](attn.to_v(encoder_hidden_states)))
        return value.expand(-1, hidden_states.shape[1], -1)


def cross_attentions(model: nn.Module) -> Iterator[Attention]:
    for module in model.modules():
        if isinstance(module, BasicTransformerBlock) and module.attn2 is not None:
            yield module.attn2


def use_single_token_cross_attention(model: nn.Module) -> None:
    proc = SingleTokenCrossAttnProcessor()
    for attn in cross_attentions(model):
        attn.set_processor(proc)
