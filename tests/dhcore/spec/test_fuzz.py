"""Property-based fuzzing of the spec loader and the media probes: a validation error or valid, never an exception.

The budget is fixed and small for CI (DH_FUZZ_EXAMPLES examples per property, default 40);
benchmarks/fuzz_specs.py runs 10,000 mutated specs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhcore.spec import content_checks
from dhcore.spec.loader import UNEXPECTED, SpecError, load_spec
from tests.dhcore.spec.test_hostile import SHOOT, _mp4, _png_header_only
from tests.dhcore.spec.test_loader import VALID, write

BUDGET = settings(
    max_examples=int(os.environ.get("DH_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TOKENS = [
    "\x00", "\x07", "\x1b", "\t", "\ufeff", "\ud7ff", "[", "]", "{", "}", "*a", "&a ", ": ", "- ", "\n", "\n  ",
    "'", '"', "!!python/object/apply:os.system ['true']", "!!binary AAAA", "~", "1e999", "-1", "nan", "0x10",
    "../../../etc/passwd", "/dev/zero", "x" * 300, "<<: *a", "? ", "%YAML 1.1\n", "---\n", "...\n", "#", "|",
]  # fmt: skip

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fuzz")
    write(path, VALID)
    return path


def assert_valid_or_located(path: Path) -> None:
    try:
        load_spec(path)
    except SpecError as exc:
        assert exc.issues
        for issue in exc.issues:
            assert UNEXPECTED not in issue.message, str(issue)
            assert issue.file == str(path) and issue.line >= 1 and issue.column >= 1


def _mutate(text: str, edits: list[tuple[float, int, str]]) -> str:
    for where, delete, token in edits:
        i = int(where * len(text))
        text = text[:i] + token + text[i + delete :]
    return text


@BUDGET
@given(
    base=st.sampled_from([VALID, SHOOT]),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 6), st.sampled_from(TOKENS) | st.text(max_size=4)),
        max_size=4,
    ),
)
def test_mutated_specs(folder: Path, base: str, edits: list[tuple[float, int, str]]) -> None:
    path = folder / "mutated.yaml"
    path.write_text(_mutate(base, edits), encoding="utf-8", errors="surrogatepass")
    assert_valid_or_located(path)


@BUDGET
@given(base=st.sampled_from([VALID, SHOOT]), data=st.data())
def test_specs_with_a_random_value_anywhere(folder: Path, base: str, data: st.DataObject) -> None:
    doc = yaml.safe_load(base)
    node = doc
    while isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node, key=str)))
        if not isinstance(node[key], dict) or data.draw(st.booleans()):
            node[key] = data.draw(VALUES)
            break
        node = node[key]
    path = folder / "valued.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    assert_valid_or_located(path)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    path = tmp_path_factory.mktemp("media")
    write(path, VALID)
    _mp4(path / "v.mp4", 12)
    _png_header_only(path / "h.png", 64, 64)
    return {
        "image": path / "person.png", "video": path / "v.mp4", "keypoints": path / "dance.npz",
        "audio_or_video": path / "v.mp4", "header": path / "h.png",
    }  # fmt: skip


@BUDGET
@given(
    kind=st.sampled_from(["image", "video", "keypoints", "audio_or_video", "header"]),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 64), st.binary(max_size=16)), min_size=1, max_size=4
    ),
)
def test_mutated_media_files(media: dict[str, Path], kind: str, edits: list) -> None:
    data = media[kind].read_bytes()
    for where, delete, blob in edits:
        i = int(where * len(data))
        data = data[:i] + blob + data[i + delete :]
    path = media[kind].parent / f"mutated-{kind}"
    path.write_bytes(data)
    problem = content_checks.check_file(path, "image" if kind == "header" else kind, [])
    assert problem is None or isinstance(problem, str)
