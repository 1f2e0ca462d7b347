"""Load a spec file into a validated model, or fail with every problem located in the file.

Each problem is reported as FILE:LINE:COLUMN: field.path: message, with the position of
the YAML node that holds the offending value. Referenced files are resolved relative to the
spec file, must stay under an allowed root, and are opened and probed: a missing, unreadable
or empty input is a validation error, not a crash halfway through a production.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from dhcore import config, limits
from dhcore.errors import DhError
from dhcore.spec import content_checks
from dhcore.spec.kinds import SPEC_ADAPTER, model_for_kind, root_model
from dhcore.spec.yamlnodes import (
    DuplicateKeyError,
    Located,
    StructureError,
    check_structure,
    key_position,
    load_with_nodes,
    locate,
)


@dataclass(frozen=True)
class SpecIssue:
    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.path or '(spec)'}: {self.message}"


class SpecError(DhError):
    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.line, i.column))
        super().__init__("\n".join(str(i) for i in self.issues))


@dataclass
class LoadedSpec:
    path: Path
    raw: str
    spec: Any  # DanceSpec | PhotoShootSpec
    files: dict[tuple[str | int, ...], Path] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # usable, but a person should know (partial media)
    #: a spec submitted from another host (dhcore.submission): host:path there, and its identity there
    origin: str | None = None
    origin_sha256: str | None = None

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        return self.spec.name or self.path.stem.removesuffix(".spec")

    def normalized(self) -> dict[str, Any]:
        """The spec with defaults filled in and file paths absolute: what a production depends on."""
        data = self.spec.model_dump(mode="json")
        for loc, resolved in self.files.items():
            node = data
            for part in loc[:-1]:
                node = node[part]
            node[loc[-1]] = str(resolved)
        return data

    @property
    def sha256(self) -> str:
        if self.origin_sha256:  # the same spec whichever worker unpacked it (batch dedupe)
            return self.origin_sha256
        canonical = json.dumps(self.normalized(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def allowed_roots(spec_path: Path) -> list[Path]:
    return [spec_path.parent.resolve(), *config.extra_allowed_roots()]


#: specs validated in this process (`remember`), by resolved path: (what they read, the result)
_validated: dict[Path, tuple[tuple[Any, ...], LoadedSpec]] = {}


def remember(loaded: LoadedSpec) -> None:
    """Let this process's next loads of the spec reuse this validation while nothing it read changed.

    `dh run` validates each spec before its flow starts, and the flow loads it again (for the run's
    name, then for its plan): the content checks (a person detector on the photo, probing media)
    would otherwise be a second and third time the cost of a cache-hit production.
    """
    _validated[loaded.path] = (_inputs_stamp(loaded), loaded)


def _inputs_stamp(loaded: LoadedSpec) -> tuple[Any, ...]:
    """What a validation depends on: the spec's text, the settings, each file's identity and times."""
    files = []
    for p in (loaded.path, *loaded.files.values()):
        st = p.stat()
        files.append((str(p), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    settings = [os.environ.get(n) for n in ("DH_ALLOWED_ROOTS", "DH_MODELS_DIR", "DH_HOME")]
    return (
        loaded.path.read_text(encoding="utf-8", errors="replace").removeprefix("\ufeff"),
        *settings,
        *files,
    )


def _remembered(path: Path) -> LoadedSpec | None:
    try:
        stamp, loaded = _validated[path.resolve()]
        return loaded if _inputs_stamp(loaded) == stamp else None
    except (KeyError, OSError, ValueError):
        return None


def load_spec(path: str | Path, check_content: bool = True) -> LoadedSpec:
    """Parse, validate and check a spec file; raises SpecError listing every problem.

    Any input, however broken or hostile, ends in a SpecError: an exception escaping the
    checks below is reported as an unexpected problem at the top of the file, never as a
    traceback (the fuzz tests make sure none does).
    """
    path = Path(path)
    if _validated and (reused := _remembered(path)) is not None:
        return reused
    shown = str(path)
    try:
        return _load(path, shown, check_content)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError([SpecIssue(shown, 1, 1, "", "nested too deeply to check")]) from None
    except DhError as exc:
        raise SpecError([SpecIssue(shown, 1, 1, "", str(exc))]) from exc
    except Exception as exc:  # noqa: BLE001 - the contract: a located error, never a traceback
        raise SpecError([SpecIssue(shown, 1, 1, "", f"{UNEXPECTED} {type(exc).__name__}: {exc}")]) from exc


UNEXPECTED = "unexpected problem while checking:"


def _read(path: Path, shown: str) -> str:
    try:
        data = limits.read_bounded(path, limits.SPEC_BYTES)
    except (DhError, OSError, ValueError) as exc:
        message = str(exc).removeprefix(f"{path}: ")
        raise SpecError([SpecIssue(shown, 1, 1, "", f"cannot read spec file: {message}")]) from None
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line, col = _line_col(before, len(before))
        raise SpecError([SpecIssue(shown, line, col, "", "not UTF-8 text (a spec is a YAML file)")]) from None


def _line_col(text: str, pos: int) -> tuple[int, int]:
    pos = min(pos, len(text))
    return text.count("\n", 0, pos) + 1, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _parse(raw: str, shown: str) -> tuple[Any, yaml.Node | None]:
    try:
        check_structure(raw, int(limits.YAML_DEPTH.value()), int(limits.YAML_NODES.value()))
        return load_with_nodes(raw)
    except (DuplicateKeyError, StructureError) as exc:
        key = exc.key if isinstance(exc, DuplicateKeyError) else ""
        raise SpecError([SpecIssue(shown, exc.where.line, exc.where.column, key, str(exc))]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise SpecError([SpecIssue(shown, line, col, "", f"invalid YAML: {exc.problem or exc}")]) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(raw, exc.position)
        what = f"character {exc.character!r}" if isinstance(exc.character, str) else "byte"
        message = f"invalid YAML: {what} is not allowed (control characters and NUL are not)"
        raise SpecError([SpecIssue(shown, line, col, "", message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([SpecIssue(shown, 1, 1, "", f"invalid YAML: {exc}")]) from None


def _load(path: Path, shown: str, check_content: bool) -> LoadedSpec:
    raw = _read(path, shown)
    data, root = _parse(raw, shown)
    if not isinstance(data, dict):
        raise SpecError([SpecIssue(shown, 1, 1, "", "a spec is a YAML mapping (version:, kind:, ...)")])
    issues: list[SpecIssue] = []
    spec = None
    try:
        spec = SPEC_ADAPTER.validate_python(data)
    except ValidationError as exc:
        issues.extend(_issues_from_pydantic(shown, root, exc.errors()))
    model = model_for_kind(data.get("kind"))
    file_refs = model.file_refs(data) if model is not None else []

    loaded = LoadedSpec(path=path.resolve(), raw=raw, spec=spec)
    roots = allowed_roots(path)
    for ref in file_refs:
        where, dotted = _where(root, ref.loc)
        try:
            problem, resolved = _check_ref(path, ref, roots, check_content, loaded.warnings, dotted)
        except (OSError, ValueError) as exc:  # a NUL byte in a path, a name too long, ...
            problem, resolved = f"{ref.path!s:.200}: unusable path ({exc})", None
        if problem:
            issues.append(SpecIssue(shown, where.line, where.column, dotted, problem))
        else:
            loaded.files[ref.loc] = resolved
    if not issues and check_content:
        for loc, message in content_checks.check_spec(loaded):
            where, dotted = _where(root, loc)
            issues.append(SpecIssue(shown, where.line, where.column, dotted, message))
    if issues:
        raise SpecError(issues)
    return loaded


def _check_ref(
    spec_path: Path, ref: Any, roots: list[Path], check_content: bool, warnings: list[str], dotted: str
) -> tuple[str | None, Path]:
    """(problem or None, resolved path) of one referenced file: resolved first, then checked."""
    resolved = (spec_path.parent / ref.path).resolve()
    if not limits.under(resolved, roots):
        shown_roots = ", ".join(str(r) for r in roots)
        return (
            f"{ref.path} resolves to {resolved}, outside the allowed roots ({shown_roots}); "
            "add its folder to DH_ALLOWED_ROOTS",
            resolved,
        )
    found: list[str] = []
    if check_content:
        problem = content_checks.check_file(resolved, ref.kind, found)
    else:
        problem = content_checks.check_exists(resolved, ref.kind)
    warnings.extend(f"{dotted}: {resolved}: {w}" for w in found)
    return (f"{resolved}: {problem}" if problem else None), resolved


def _where(root: yaml.Node | None, loc: tuple[str | int, ...]) -> tuple[Located, str]:
    where, _ = locate(root, loc)
    return where, ".".join(str(p) for p in loc)


def _issues_from_pydantic(shown: str, root: yaml.Node | None, errors: list[Any]) -> list[SpecIssue]:
    """One issue per offending value; alternatives of a union are merged into one message."""
    merged: dict[tuple[int, int, str], list[str]] = {}
    for err in errors:
        loc = tuple(err["loc"])
        path, model = _walk(loc)
        where, found = locate(root, path)
        message = err["msg"].removeprefix("Value error, ").replace("Input should be", "should be")
        if err["type"] == "extra_forbidden":
            where = key_position(root, found) or where
            _, parent = _walk(loc[:-1])
            allowed = sorted(parent.model_fields) if parent is not None else []
            guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            message = f"unknown field {loc[-1]!r}" + (f"; did you mean {guess[0]!r}?" if guess else "")
            if allowed:
                message += f" (allowed: {', '.join(allowed)})"
        elif err["type"] == "missing":
            message = f"required field {path[-1]!r} is missing"
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            field = str(err["ctx"]["discriminator"]).strip("'")
            path = (*path, field)
            where, _ = locate(root, path)
            if err["type"] == "union_tag_not_found":
                message = f"required field {field!r} is missing"
            else:
                message = (
                    f"unknown value {err['ctx']['tag']!r}; expected one of {err['ctx']['expected_tags']}"
                )
        key = (where.line, where.column, ".".join(str(p) for p in path))
        if message not in merged.setdefault(key, []):
            merged[key].append(message)
    return [
        SpecIssue(shown, line, col, dotted, " or ".join(msgs)) for (line, col, dotted), msgs in merged.items()
    ]


def _walk(loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], type[BaseModel] | None]:
    """Split pydantic's error location into the document path and the model it ends in.

    Pydantic inserts the member of a union (a discriminator value such as 'video', or a type
    name such as 'int') after the field holding the union; those are not keys in the YAML.
    """
    path: list[str | int] = []
    model, i = root_model(loc)
    while i < len(loc):
        part = loc[i]
        i += 1
        path.append(part)
        fields = model.model_fields if model is not None else {}
        if part not in fields:
            model = None
            continue
        options = [a for a in _union_members(fields[part].annotation) if a is not type(None)]
        models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(options) > 1 and i < len(loc):
            tag = loc[i]
            i += 1
            model = next((m for m in models if _has_tag(m, tag)), None)
        else:
            model = models[0] if len(models) == 1 else None
    return tuple(path), model


def _union_members(annotation: Any) -> list[Any]:
    origin = get_origin(annotation)
    if origin is Annotated:
        return _union_members(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return [m for a in get_args(annotation) for m in _union_members(a)]
    return [annotation]


def _has_tag(model: type[BaseModel], tag: Any) -> bool:
    for name in ("type", "backend", "kind"):
        f = model.model_fields.get(name)
        if f is not None and tag in get_args(f.annotation):
            return True
    return False
