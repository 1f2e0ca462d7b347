"""Reference attention: the ReferenceNet writes its self-attention inputs, the denoiser reads them.

Write: every spatial transformer block of the reference net stores the LayerNorm-1 output it
feeds to its self-attention ("bank"). Read: the block with the same module path in the denoiser
attends over [its own tokens ; the bank] (keys/values through its own `attn1`), for every frame.

Details that change numbers, as the releases do them:
* the bank is rounded to float16 on transfer (a no-op in fp16 inference, visible in fp32);
* under classifier-free guidance the unconditional rows ignore the bank (plain self-attention),
  so only the conditional reference tokens are ever used and the reference net runs on them alone.

The bank's keys/values depend on neither the timestep nor the frames, so the reader projects
them once per video instead of once per frame and step (same values, fewer FLOPs).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torch.nn.functional as F
from diffusers.models.attention import BasicTransformerBlock
from diffusers.models.attention_processor import Attention
from torch import nn

ROOTS = ("down_blocks.", "mid_block.", "up_blocks.")


def reference_blocks(
    model: nn.Module, roots: tuple[str, ...] = ROOTS
) -> Iterator[tuple[str, BasicTransformerBlock]]:
    """The UNet's spatial transformer blocks under `roots` that take part (same paths in both
    UNets); MagicAnimate uses only the mid and up blocks."""
    for name, module in model.named_modules():
        if isinstance(module, BasicTransformerBlock) and name.startswith(roots):
            yield name, module


def _heads(attn: Attention, x: torch.Tensor) -> torch.Tensor:
    n, tokens, inner = x.shape
    return x.view(n, tokens, attn.heads, inner // attn.heads).transpose(1, 2)


def _merge_heads(x: torch.Tensor) -> torch.Tensor:
    n, heads, tokens, d = x.shape
    return x.transpose(1, 2).reshape(n, tokens, heads * d)


def _out(attn: Attention, x: torch.Tensor) -> torch.Tensor:
    return attn.to_out[1](attn.to_out[0](_merge_heads(x)))


class _WriteProcessor:
    def __init__(self, writer: ReferenceWriter, name: str):
        self.writer, self.name = writer, name

    def __call__(
        self, attn: Attention, hidden_states: torch.Tensor, *args: object, **kwargs: object
    ) -> torch.Tensor:
        if self.writer.recording:
            self.writer.bank[self.name] = hidden_states.detach()
        q, k, v = (_heads(attn, p(hidden_states)) for p in (attn.to_q, attn.to_k, attn.to_v))
        return _out(attn, F.scaled_dot_product_attention(q, k, v))


class ReferenceWriter:
    """Installs recording self-attention on the reference net; `bank` maps block path -> tokens."""

    def __init__(self, model: nn.Module, roots: tuple[str, ...] = ROOTS):
        self.bank: dict[str, torch.Tensor] = {}
        self.recording = False
        self.names = []
        for name, block in reference_blocks(model, roots):
            block.attn1.set_processor(_WriteProcessor(self, name))
            self.names.append(name)

    @torch.no_grad()
    def record(self, model: nn.Module, *args: object, **kwargs: object) -> dict[str, torch.Tensor]:
        """Run the reference net once and return the bank it wrote."""
        self.bank, self.recording = {}, True
        try:
            model(*args, **kwargs)
        finally:
            self.recording = False
        missing = [n for n in self.names if n not in self.bank]
        if missing:
            raise RuntimeError(f"reference net wrote no tokens for {missing}")
        bank, self.bank = self.bank, {}
        return bank


class _ReadProcessor:
    def __init__(self, reader: ReferenceReader, name: str):
        self.reader, self.name = reader, name
        self.ref_k: torch.Tensor | None = None
        self.ref_v: torch.Tensor | None = None

    def load(self, attn: Attention, tokens: torch.Tensor) -> None:
        self.ref_k = _heads(attn, attn.to_k(tokens))
        self.ref_v = _heads(attn, attn.to_v(tokens))

    def clear(self) -> None:
        self.ref_k = self.ref_v = None

    def __call__(
        self, attn: Attention, hidden_states: torch.Tensor, *args: object, **kwargs: object
    ) -> torch.Tensor:
        q, k, v = (_heads(attn, p(hidden_states)) for p in (attn.to_q, attn.to_k, attn.to_v))
        if self.ref_k is None or self.ref_v is None:
            return _out(attn, F.scaled_dot_product_attention(q, k, v))
        n = q.shape[0]
        u = self.reader.uncond_rows
        out = torch.empty_like(q)
        if u:
            out[:u] = F.scaled_dot_product_attention(q[:u], k[:u], v[:u])
        if u < n:
            c = n - u
            k_c = torch.cat([k[u:], self.ref_k.expand(c, -1, -1, -1)], dim=2)
            v_c = torch.cat([v[u:], self.ref_v.expand(c, -1, -1, -1)], dim=2)
            out[u:] = F.scaled_dot_product_attention(q[u:], k_c, v_c)
        return _out(attn, out)


class ReferenceReader:
    """Installs reference-reading self-attention on the denoiser.

    `uncond_rows` is set per call by the denoiser: the first rows of its folded batch that belong
    to the unconditional branch (they ignore the bank).
    """

    def __init__(self, model: nn.Module, roots: tuple[str, ...] = ROOTS):
        self.uncond_rows = 0
        self.processors: dict[str, tuple[Attention, _ReadProcessor]] = {}
        for name, block in reference_blocks(model, roots):
            proc = _ReadProcessor(self, name)
            block.attn1.set_processor(proc)
            self.processors[name] = (block.attn1, proc)

    @torch.no_grad()
    def load(self, bank: dict[str, torch.Tensor]) -> None:
        """Take a writer's bank ([1, tokens, C] per block): round to fp16, project keys/values."""
        missing = [n for n in self.processors if n not in bank]
        if missing:
            raise ValueError(f"reference bank lacks blocks {missing[:3]} ({len(missing)} in all)")
        for name, (attn, proc) in self.processors.items():
            tokens = bank[name]
            if tokens.shape[0] != 1:
                raise ValueError(f"reference bank {name}: expected one reference, got {tokens.shape[0]}")
            dtype = attn.to_k.weight.dtype
            proc.load(attn, tokens.to(attn.to_k.weight.device, torch.float16).to(dtype))

    def clear(self) -> None:
        for _, proc in self.processors.values():
            proc.clear()
