"""Open ONNX models so that a wrong file is a clear ModelError naming it, never a runtime crash.

The registry has already checked the file's hash; this checks what the hash cannot (a file
registered under the wrong id, or a re-export with another input size): the input signature
is compared with what the backend feeds before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from dhcore.errors import ModelError
from dhcore.models.onnx_providers import onnx_providers

#: expected input: (shape with None for "any", accepted element types)
Expected = tuple[tuple[int | None, ...], tuple[str, ...]]
FLOAT = ("tensor(float)",)


def _fmt(shape: object) -> str:
    return "[" + ", ".join("?" if not isinstance(d, int) else str(d) for d in shape) + "]"  # type: ignore[attr-defined]


def open_session(
    path: Path, expected: list[Expected], what: str, threads: int | None = None
) -> ort.InferenceSession:
    """An onnxruntime session for `path` whose inputs match `expected` (in order)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: model file not found ({what})")
    options = ort.SessionOptions()
    options.log_severity_level = 3
    if threads:
        options.intra_op_num_threads = threads
    try:
        session = ort.InferenceSession(str(path), options, providers=onnx_providers())
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises several unrelated types
        raise ModelError(
            f"{path}: not a loadable ONNX model for {what} ({type(exc).__name__}: {exc})"
        ) from exc
    check_inputs(session, path, expected, what)
    return session


def _fits(dims: list, shape: tuple[int | None, ...] | list[int | None]) -> bool:
    """Same rank, and every fixed dimension matches (None: any; symbolic or -1 in the model: any)."""
    return len(dims) == len(shape) and all(
        want is None or not isinstance(got, int) or got in (want, -1)
        for got, want in zip(dims, shape, strict=True)
    )


def check_inputs(session: ort.InferenceSession, path: Path, expected: list[Expected], what: str) -> None:
    inputs = session.get_inputs()
    if len(inputs) != len(expected):
        raise ModelError(
            f"{path}: {what} needs {len(expected)} input(s), this model has {len(inputs)} "
            f"({', '.join(i.name + _fmt(i.shape) for i in inputs)})"
        )
    for actual, (shape, types) in zip(inputs, expected, strict=True):
        dims = list(actual.shape)
        if not _fits(dims, shape):
            raise ModelError(
                f"{path}: wrong input shape for {what}: input {actual.name!r} is {_fmt(dims)}, "
                f"expected {_fmt([d if d is not None else '?' for d in shape])}"
            )
        if actual.type not in types:
            raise ModelError(
                f"{path}: input {actual.name!r} has type {actual.type}, {what} needs {' or '.join(types)}"
            )


def check_output(session: ort.InferenceSession, path: Path, shape: tuple[int | None, ...], what: str) -> None:
    out = session.get_outputs()[0]
    dims = list(out.shape)
    if not _fits(dims, shape):
        raise ModelError(
            f"{path}: wrong output shape for {what}: {out.name!r} is {_fmt(dims)}, "
            f"expected {_fmt([d if d is not None else '?' for d in shape])}"
        )
