"""A spec sent to a worker on another host: its text, and its inputs' keys in the shared asset store.

A submitter's absolute spec path means nothing on a worker with another checkout, home or mount
point. A Submission carries the spec's text and, for each file it references, that file's
content-addressed key in the asset store every worker shares (DH_STORE_URL: object storage, or
one folder wherever each host mounts it). The worker takes the files from its store, writes the
spec beside them with each reference pointing at its copy (the rest of the text, comments and
line numbers included, unchanged), and validates it as any spec.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import socket
import uuid
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from dhcore import config
from dhcore.catalog.objstore import ObjectStore, open_store
from dhcore.errors import InputError
from dhcore.spec.loader import LoadedSpec, load_spec

#: a key of the content-addressed store: <sha[:2]>/<sha><suffix> (dhcore.catalog.store)
KEY = r"^[0-9a-f]{2}/[0-9a-f]{64}(\.[A-Za-z0-9]{1,12}){0,2}$"


class SubmittedInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    at: tuple[str | int, ...] = Field(description="where the spec names the file, e.g. ['subject', 'image']")
    key: str = Field(pattern=KEY, description="the file (or folder) in the shared asset store")
    size: int = Field(ge=0)
    name: str = Field(pattern=r"^[^/\\\x00]{1,255}$", description="its file name on the submitter's host")

    @field_validator("name")
    @classmethod
    def _a_file_name(cls, name: str) -> str:
        if name in (".", ".."):
            raise ValueError("not a file name")
        return name


class Submission(BaseModel):
    """What `dh submit` sends a deployment instead of a path: usable on any worker sharing the store."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    spec_name: str = Field(pattern=r"^[^/\\\x00]{1,200}\.ya?ml$")
    spec_text: str = Field(max_length=1 << 20)
    origin: str = Field(description="host:path of the spec where it was submitted (for people, not workers)")
    spec_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="its identity there (batch dedupe)")
    inputs: list[SubmittedInput]

    def production_name(self) -> str:
        """The spec's `name`, else its file name (the flow run's name, before anything is unpacked)."""
        try:
            data = yaml.safe_load(self.spec_text)
        except yaml.YAMLError:
            data = None
        name = data.get("name") if isinstance(data, dict) else None
        return str(name) if name else Path(self.spec_name).stem.removesuffix(".spec")


def pack(loaded: LoadedSpec, store: Any = None) -> Submission:
    """Put the spec's files in the shared store (each once) and describe the spec by text and keys."""
    store = store or open_store()
    inputs = []
    for at, path in loaded.files.items():
        stored = store.ingest_folder(path) if path.is_dir() else store.ingest(path, move=False)
        inputs.append(SubmittedInput(at=at, key=_key(store, stored.path), size=stored.size, name=path.name))
    return Submission(
        spec_name=loaded.path.name, spec_text=loaded.raw, origin=f"{socket.gethostname()}:{loaded.path}",
        spec_sha256=loaded.sha256, inputs=inputs,
    )  # fmt: skip


def _key(store: Any, stored: Any) -> str:
    if isinstance(store, ObjectStore):
        return str(stored).removeprefix(store.root + "/")
    return Path(stored).relative_to(store.root).as_posix()


def load_submitted(submission: Submission, store: Any = None, home: Path | None = None) -> LoadedSpec:
    """The submitted spec, unpacked on this host and validated; it keeps the submitter's identity."""
    loaded = load_spec(unpack(submission, store, home))
    return dataclasses.replace(loaded, origin=submission.origin, origin_sha256=submission.spec_sha256)


def unpack(submission: Submission, store: Any = None, home: Path | None = None) -> Path:
    """Write the spec and its inputs under DH_HOME/submissions/<digest>/; returns the spec's path.

    Inputs are hard links to the store's files where the file system allows (copies otherwise).
    """
    store = store or open_store()
    digest = hashlib.sha256(submission.model_dump_json().encode()).hexdigest()[:20]
    folder = (home or config.dh_home()) / "submissions" / digest
    if (folder / submission.spec_name).is_file():  # unpacked before: the folder appears complete
        return folder / submission.spec_name
    staging = folder.with_name(f".{digest}.{uuid.uuid4().hex}.part")
    try:
        references = {}
        for i, item in enumerate(submission.inputs):
            relative = f"inputs/{i:02d}/{item.name}"
            _place(_stored(store, item, submission), staging / relative)
            references[item.at] = relative
        text = point_references(submission.spec_text, references, submission.origin)
        (staging / submission.spec_name).write_text(text, encoding="utf-8")
        try:
            os.replace(staging, folder)
        except OSError:  # another process unpacked the same submission first
            if not (folder / submission.spec_name).is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / submission.spec_name


def _stored(store: Any, item: SubmittedInput, submission: Submission) -> Path:
    """A local path of a submitted input, from this host's view of the shared store."""
    where = f"{submission.origin}: {'.'.join(map(str, item.at))} ({item.name})"
    if isinstance(store, ObjectStore):
        uri = f"{store.root}/{item.key}"
        if not store.intact(uri, item.size):
            raise InputError(
                f"{where}: not in the object store at {uri}; submit with the DH_STORE_URL the workers use"
            )
        return store.materialize(uri)
    path = store.root / item.key
    if not path.exists():
        raise InputError(
            f"{where}: not in this worker's asset store ({path} is missing): the submitter and the workers must "
            "share one store (DH_STORE_URL: s3://... or a shared folder; see README, Deployments and batches)"
        )
    return path


def _place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, copy_function=_link_or_copy)
    else:
        _link_or_copy(source, target)


def _link_or_copy(source: str | Path, target: str | Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copyfile(source, target)


def point_references(text: str, references: dict[tuple[str | int, ...], str], origin: str) -> str:
    """`text` with the scalar at each location replaced by a quoted path; nothing else changes."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        raise InputError(
            f"{origin}: the submitted spec is not readable YAML ({type(exc).__name__})"
        ) from None
    spans = []
    for at, path in references.items():
        node = _node_at(root, at)
        if not isinstance(node, yaml.ScalarNode):
            raise InputError(
                f"{origin}: the submission names a file at {'.'.join(map(str, at))}, which the spec lacks"
            )
        spans.append((node.start_mark.index, node.end_mark.index, json.dumps(path)))
    for start, end, value in sorted(spans, reverse=True):
        text = text[:start] + value + text[end:]
    return text


def _node_at(node: yaml.Node | None, at: tuple[str | int, ...]) -> yaml.Node | None:
    for part in at:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node
