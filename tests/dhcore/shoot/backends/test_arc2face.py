"""arc2face on tiny random weights: the identity vector steers the image, runs are reproducible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydantic
import pytest
import torch

from dhcore.errors import InputError
from dhcore.shoot.backends import BACKENDS
from dhcore.shoot.backends.arc2face import (
    ARCFACE_DIM,
    ID_PROMPT,
    Arc2FaceBackend,
    Arc2FaceParams,
    load_arc2face,
    load_identity,
)

CPU = "cpu"  # CPU tests pin the device: "auto" would pick a GPU where there is one
FAST = Arc2FaceParams(steps=3, device=CPU)


@pytest.fixture(scope="module")
def parts(tiny_arc2face_src: Path):
    return load_arc2face(tiny_arc2face_src, torch.device("cpu"), torch.float32)


def _unit(seed: int) -> torch.Tensor:
    v = torch.from_numpy(np.random.default_rng(seed).normal(size=(1, ARCFACE_DIM)).astype(np.float32))
    return v / v.norm()


def test_id_token_slot_holds_the_zero_padded_identity(parts) -> None:
    enc = parts.identity_encoder
    tokens = parts.tokenizer.convert_ids_to_tokens(enc.input_ids[0].tolist())
    assert tokens[: enc.id_position + 2] == [
        "<|startoftext|>",
        "photo</w>",
        "of</w>",
        "a</w>",
        "id</w>",
        "person</w>",
    ]
    identity = _unit(1)
    embs = enc.token_embeddings(identity)
    assert embs.shape == (1, parts.tokenizer.model_max_length, enc.width)
    slot = embs[0, enc.id_position]
    assert torch.equal(slot[:ARCFACE_DIM], identity[0]) and not slot[ARCFACE_DIM:].any()
    plain = parts.text_encoder.get_input_embeddings()(enc.input_ids)
    others = torch.ones(embs.shape[1], dtype=torch.bool)
    others[enc.id_position] = False
    assert torch.equal(embs[0, others], plain[0, others])


def test_encoder_states_equal_a_vocabulary_row_set_to_the_identity(parts) -> None:
    """Independent check: writing the vector into the `id` row of the table gives the same states."""
    enc, identity = parts.identity_encoder, _unit(2)
    with torch.no_grad():
        states = enc(identity)
        table = parts.text_encoder.get_input_embeddings().weight
        id_token = int(enc.input_ids[0, enc.id_position])
        saved = table[id_token].clone()
        try:
            table[id_token] = torch.nn.functional.pad(identity[0], (0, enc.width - ARCFACE_DIM))
            reference = parts.text_encoder(input_ids=enc.input_ids).last_hidden_state
        finally:
            table[id_token] = saved
        plain = parts.text_encoder(input_ids=enc.input_ids).last_hidden_state
    torch.testing.assert_close(states, reference, rtol=1e-5, atol=1e-6)
    # causal text encoder: tokens before `id` do not see it, every later one does
    pos = enc.id_position
    assert torch.equal(states[0, :pos], plain[0, :pos])
    assert (states[0, pos:] - plain[0, pos:]).abs().amax(dim=-1).min() > 1e-4
    assert not torch.allclose(enc(_unit(3)), states)


def test_identity_changes_the_portrait_and_seed_reproduces_it(
    arc2face_installed: Path, embedding_file, make_inputs, read_png, tmp_path: Path
) -> None:
    backend = BACKENDS["arc2face"]()
    a, b = embedding_file(1), embedding_file(2)
    # random tiny UNets barely listen to their text states (~5% of the output); strong guidance
    # amplifies the conditional branch so the identity's effect is well above rounding
    params = Arc2FaceParams(steps=3, guidance_scale=7.5, device=CPU)

    def run(name: str, emb: Path, seed: int = 7) -> np.ndarray:
        out = tmp_path / f"{name}.png"
        result = backend.generate(
            make_inputs(identity_embedding=emb, seed=seed, width=40, height=32), params, out
        )
        assert result.outputs["image"].path == out
        return read_png(out)

    first = run("a1", a)
    assert first.shape == (32, 40, 3) and first.std() > 1
    again = run("a2", a)
    assert np.array_equal(first, again)
    assert (tmp_path / "a1.png").read_bytes() == (tmp_path / "a2.png").read_bytes()
    other_identity = run("b", b)
    assert (first != other_identity).mean() > 0.5 and np.abs(first - other_identity).mean() > 1.0
    other_seed = run("a_seed", a, seed=8)
    assert np.abs(first - other_seed).mean() > 1.0
    # the vector is rescaled to unit length, as Arc2Face expects: its scale does not matter (up to float rounding)
    scaled = run("a_scaled", embedding_file(1, scale=3.7))
    assert np.abs(first - scaled).max() <= 2 and np.abs(first - scaled).mean() < 0.05


def test_result_metadata_and_protocol(
    arc2face_installed: Path, embedding_file, make_inputs, tmp_path: Path
) -> None:
    backend = Arc2FaceBackend()
    assert backend.model_ids(FAST) == ["arc2face"]
    assert (backend.supports_prompts, backend.supports_templates) == (False, True)
    result = backend.generate(
        make_inputs(identity_embedding=embedding_file(1), seed=3), FAST, tmp_path / "x.png"
    )
    meta = result.outputs["image"].meta
    assert result.outputs["image"].kind == "image"
    assert meta["prompt"] == ID_PROMPT and meta["seed"] == 3 and meta["steps"] == 3
    assert meta["guidance_scale"] == 3.0 and meta["scheduler"] == "dpmpp_2m" and meta["dtype"] == "float32"
    assert result.metrics["generate_seconds"] > 0 and result.warnings == []


@pytest.mark.parametrize("scheduler", ["ddim", "euler", "euler_a"])
def test_every_scheduler_runs(
    scheduler: str, arc2face_installed: Path, embedding_file, make_inputs, read_png, tmp_path: Path
) -> None:
    out = tmp_path / "s.png"
    params = Arc2FaceParams(steps=2, scheduler=scheduler, device=CPU)
    Arc2FaceBackend().generate(make_inputs(identity_embedding=embedding_file(1)), params, out)
    assert read_png(out).shape == (32, 32, 3)


def test_template_look_starts_from_the_template(
    arc2face_installed: Path, embedding_file, make_inputs, read_png, tmp_path: Path
) -> None:
    """SDEdit: the less noise (lower strength), the more two templates' results differ."""
    from PIL import Image

    rng = np.random.default_rng(0)
    templates = []
    for i, colour in enumerate(((220, 40, 40), (30, 60, 200))):
        pixels = np.clip(np.array(colour) + rng.normal(0, 10, size=(60, 90, 3)), 0, 255).astype(np.uint8)
        templates.append(tmp_path / f"t{i}.jpg")
        Image.fromarray(pixels).save(templates[-1])
    backend, emb = Arc2FaceBackend(), embedding_file(1)
    spread = {}
    for strength in (0.25, 0.9):
        outs = []
        for i, template in enumerate(templates):
            out = tmp_path / f"o{strength}_{i}.png"
            inputs = make_inputs(identity_embedding=emb, template=template, width=40, height=32)
            result = backend.generate(inputs, Arc2FaceParams(steps=4, strength=strength, device=CPU), out)
            assert result.outputs["image"].meta["strength"] == strength
            outs.append(read_png(out))
        assert outs[0].shape == (32, 40, 3)
        spread[strength] = np.abs(outs[0] - outs[1]).mean()
    assert spread[0.9] > 0.1 and spread[0.25] > 2 * spread[0.9]


def test_bad_inputs_are_named(arc2face_installed: Path, embedding_file, make_inputs, tmp_path: Path) -> None:
    backend, out = Arc2FaceBackend(), tmp_path / "x.png"
    with pytest.raises(InputError, match="cannot follow text prompts"):
        backend.generate(make_inputs(identity_embedding=embedding_file(1), prompt="a red coat"), FAST, out)
    with pytest.raises(InputError, match="arc2face_arcface"):
        backend.generate(make_inputs(), FAST, out)
    with pytest.raises(InputError, match=r"width 60 -> 56 or 64"):
        backend.generate(make_inputs(identity_embedding=embedding_file(1), width=60), FAST, out)
    short = tmp_path / "short.npy"
    np.save(short, np.ones(128, dtype=np.float32))
    with pytest.raises(
        InputError, match=r"short.npy: the identity embedding must hold 512 values, not shape \[128\]"
    ):
        load_identity(short)
    zero = tmp_path / "zero.npy"
    np.save(zero, np.zeros(512, dtype=np.float32))
    with pytest.raises(InputError, match="zero or not finite"):
        load_identity(zero)
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(InputError, match="junk.npy: cannot read"):
        load_identity(tmp_path / "junk.npy")
    with pytest.raises(InputError, match=r"steps x strength steps: 2 x 0.4 < 1"):
        params = Arc2FaceParams(steps=2, strength=0.4, device=CPU)
        backend.generate(
            make_inputs(identity_embedding=embedding_file(1), template=tmp_path / "t.png"), params, out
        )
    template = tmp_path / "broken.png"
    template.write_bytes(b"\x89PNG broken")
    with pytest.raises(InputError, match="broken.png: cannot read the template"):
        backend.generate(make_inputs(identity_embedding=embedding_file(1), template=template), FAST, out)
    assert not out.exists()


def test_params_are_validated() -> None:
    with pytest.raises(pydantic.ValidationError, match="runs on cuda only"):
        Arc2FaceParams(device="cpu", dtype="float16")
    with pytest.raises(pydantic.ValidationError, match="extra"):
        Arc2FaceParams(sampler="ddim")  # type: ignore[call-arg]
    assert Arc2FaceParams().model_dump() == {
        "steps": 25, "guidance_scale": 3.0, "scheduler": "dpmpp_2m", "device": "auto", "dtype": "auto", "strength": 0.8,
    }  # fmt: skip


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_half_precision_on_cuda(
    arc2face_installed: Path, embedding_file, make_inputs, read_png, tmp_path: Path
) -> None:
    out = tmp_path / "gpu.png"
    result = Arc2FaceBackend().generate(
        make_inputs(identity_embedding=embedding_file(1), width=64, height=64),
        Arc2FaceParams(steps=4, device="cuda"),
        out,
    )
    assert result.outputs["image"].meta["dtype"] == "float16" and read_png(out).shape == (64, 64, 3)
