"""The model registry: which weights dh knows, where they live, and how they are verified.

Nothing is downloaded. A model is a folder DH_MODELS_DIR/<id>/ holding the declared files.
`dh models add ID PATH` checks each file's format (dhcore.models.formats), copies them in and
records their sha256 in DH_MODELS_DIR/lock.json;
where the public file's hash is known it must match. Every load goes through `resolve`,
which re-checks the hash whenever the file's size or mtime changed since the last check,
so a corrupt or swapped file is a hash error, never a crash inside a runtime.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from dhcore import config
from dhcore.errors import ModelError
from dhcore.models.formats import format_problem

LOCK_NAME = "lock.json"


@dataclass(frozen=True)
class ModelSpec:
    id: str
    files: tuple[str, ...]
    format: str  # onnx | safetensors | torch | diffusers | folder
    license: str
    source: str
    description: str = ""
    #: whether the weights' licence allows commercial use; unknown counts as not (a spec with
    #: `licence: commercial` rejects the model)
    commercial: bool = False
    #: file -> sha256 of the public release, where it is known
    sha256: dict[str, str] = field(default_factory=dict)
    #: ONNX file -> input names it must have, where the public export's are known
    onnx_inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: safetensors/torch file -> the tensor names of its manifest, where one is declared
    keys: dict[str, frozenset[str]] = field(default_factory=dict)


REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    REGISTRY[spec.id] = spec
    return spec


def get(model_id: str) -> ModelSpec:
    import dhcore.models.known  # noqa: F401  (declares the model set)

    try:
        return REGISTRY[model_id]
    except KeyError:
        known = ", ".join(sorted(REGISTRY)) or "none"
        raise ModelError(f"unknown model id {model_id!r} (known: {known})") from None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def model_dir(model_id: str, root: Path | None = None) -> Path:
    return (root or config.models_dir()) / model_id


def _lock_path(root: Path) -> Path:
    return root / LOCK_NAME


def read_lock(root: Path | None = None) -> dict[str, dict[str, dict[str, object]]]:
    path = _lock_path(root or config.models_dir())
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def record_file(model_id: str, key: str, entry: dict[str, object], root: Path | None = None) -> None:
    """Pin a file derived from a model (e.g. a converted checkpoint) in the lock."""
    root = root or config.models_dir()
    lock = read_lock(root)
    lock.setdefault(model_id, {})[key] = entry
    _write_lock(lock, root)


def missing_problem(model_id: str, root: Path | None = None) -> str | None:
    """For the spec validator: None when every file of the model is in place (no hashing), else why not."""
    spec = get(model_id)
    root = root or config.models_dir()
    folder = model_dir(model_id, root)
    missing = [rel for rel in spec.files if not (folder / rel).is_file()]
    if not missing:
        return None
    return (
        f"model {model_id!r} is not installed: missing {', '.join(str(folder / m) for m in missing)}; "
        + _add_hint(spec, root)
    )


def _write_lock(lock: dict, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = _lock_path(root).with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")  # writers apart
    tmp.write_text(json.dumps(lock, indent=2, sort_keys=True))
    os.replace(tmp, _lock_path(root))


def _add_hint(spec: ModelSpec, root: Path) -> str:
    return (
        f"get it from {spec.source} and run: dh models add {spec.id} PATH "
        f"(PATH = the file, or a folder holding {', '.join(spec.files)}); "
        f"expected layout: {model_dir(spec.id, root)}/{{{', '.join(spec.files)}}}"
    )


def add(model_id: str, source: Path, root: Path | None = None) -> Path:
    """Copy a model's files into the store, check known hashes, record hashes in the lock."""
    spec = get(model_id)
    root = root or config.models_dir()
    source = Path(source).expanduser().resolve()
    if source.is_file():
        if len(spec.files) != 1:
            raise ModelError(f"{model_id} needs several files ({', '.join(spec.files)}): pass their folder")
        pairs = [(source, spec.files[0])]
    elif source.is_dir():
        pairs = [(source / rel, rel) for rel in spec.files]
        missing = [str(p) for p, _ in pairs if not p.is_file()]
        if missing:
            raise ModelError(f"{model_id}: missing in {source}: {', '.join(missing)}")
    else:
        raise ModelError(f"{model_id}: {source} does not exist")
    entries: dict[str, dict[str, object]] = {}
    for src, rel in pairs:
        if problem := format_problem(src, rel, spec.onnx_inputs.get(rel), spec.keys.get(rel)):
            raise ModelError(f"{model_id}: {src} {problem}; nothing was added")
        digest = sha256_file(src)
        if (want := spec.sha256.get(rel)) and want != digest:
            raise ModelError(f"{model_id}: {src} has sha256 {digest}, the public {rel} has {want}")
        entries[rel] = {"sha256": digest}
    dest = model_dir(model_id, root)
    for src, rel in pairs:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if src.resolve() != target.resolve():
            tmp = target.with_name(target.name + ".part")
            shutil.copyfile(src, tmp)
            os.replace(tmp, target)
        st = target.stat()
        entries[rel].update(size=st.st_size, mtime_ns=st.st_mtime_ns)
    lock = read_lock(root)
    lock[model_id] = entries
    _write_lock(lock, root)
    return dest


def verify(model_id: str, root: Path | None = None, force: bool = False) -> dict[str, str]:
    """Check every file of a model; returns file -> sha256. Re-hashes only changed files."""
    spec = get(model_id)
    root = root or config.models_dir()
    folder = model_dir(model_id, root)
    if problem := missing_problem(model_id, root):
        raise ModelError(problem)
    lock = read_lock(root)
    recorded = lock.get(model_id, {})
    digests: dict[str, str] = {}
    changed = False
    for rel in spec.files:
        path = folder / rel
        st = path.stat()
        entry = recorded.get(rel, {})
        fresh = entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns
        want = spec.sha256.get(rel) or entry.get("sha256")
        if fresh and not force and entry.get("sha256"):
            digests[rel] = str(entry["sha256"])
            continue
        digest = sha256_file(path)
        if want and digest != want:
            raise ModelError(
                f"model {model_id!r}: {path} has sha256 {digest} but {want} was expected "
                f"(corrupt or wrong file); replace it with: dh models add {model_id} PATH"
            )
        digests[rel] = digest
        recorded[rel] = {"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
        changed = True
    if changed:
        lock[model_id] = recorded
        _write_lock(lock, root)
    return digests


def resolve(model_id: str, root: Path | None = None) -> Path:
    """The verified folder of a model, or a ModelError saying how to install it."""
    verify(model_id, root)
    return model_dir(model_id, root or config.models_dir())


def weights_sha256(model_id: str, root: Path | None = None) -> str:
    """One digest for all files of a model: part of every cache key that uses it."""
    digests = verify(model_id, root)
    h = hashlib.sha256()
    for rel in sorted(digests):
        h.update(f"{rel}:{digests[rel]}\n".encode())
    return h.hexdigest()


def digest_of(entries: list[str]) -> str:
    """sha256 over sorted `name:digest` lines: one fixed-length value however many models a stage reads."""
    return hashlib.sha256("\n".join(sorted(entries)).encode()).hexdigest()


def weights_digest(model_ids: list[str], root: Path | None = None) -> str | None:
    """The one weights digest of a stage's cache key (None when it reads no registered model)."""
    if not model_ids:
        return None
    return digest_of([f"{m}:{weights_sha256(m, root)}" for m in set(model_ids)])
