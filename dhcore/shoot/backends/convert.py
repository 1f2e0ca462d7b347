"""Convert a tensors-only `pytorch_model.bin` to `model.safetensors` once, before `dh models add`.

The public Arc2Face encoder ships as a pickle; dh loads weights only from safetensors, so it is
read here with `torch.load(weights_only=True)` (plain tensors, no code) and written beside it:

    python -m dhcore.shoot.backends.convert ~/Arc2Face/encoder/pytorch_model.bin
"""

from __future__ import annotations

import sys
from pathlib import Path

from dhcore.errors import DhError
from dhcore.models.state_dict import read_state_dict


def bin_to_safetensors(src: Path, dst: Path | None = None) -> Path:
    """Write the tensors of `src` to `dst` (default: model.safetensors beside it); returns `dst`."""
    from safetensors.torch import save_file

    src = Path(src)
    dst = Path(dst) if dst is not None else src.with_name("model.safetensors")
    state = read_state_dict(src)
    # safetensors refuses tensors that share storage; each gets its own copy
    tensors = {key: value.detach().clone().contiguous() for key, value in state.items()}
    tmp = dst.with_name(dst.name + ".part")
    save_file(tensors, str(tmp), metadata={"format": "pt", "converted_from": src.name})
    tmp.replace(dst)
    return dst


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 2):
        print("usage: python -m dhcore.shoot.backends.convert SRC.bin [DST.safetensors]", file=sys.stderr)
        return 2
    try:
        out = bin_to_safetensors(Path(args[0]), Path(args[1]) if len(args) == 2 else None)
    except DhError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
