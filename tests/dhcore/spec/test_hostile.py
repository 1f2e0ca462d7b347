"""Hostile and broken specs and inputs (issue 9's reproducers): a located error, never a traceback or a hang."""

from __future__ import annotations

import os
import struct
import time
import zlib
from pathlib import Path

import av
import numpy as np
import pytest

from dhcore.pose.keypoints import PoseSequence
from dhcore.spec.loader import UNEXPECTED, SpecError, load_spec
from tests.dhcore.spec.test_loader import VALID, errors_of, write

SHOOT = """\
version: 1
kind: photo_shoot
identity:
  photos: [person.png]
looks:
  - {name: a, template: person.png}
"""


def issues_of(path: Path) -> list[str]:
    with pytest.raises(SpecError) as err:
        load_spec(path)
    messages = [str(i) for i in err.value.issues]
    assert all(UNEXPECTED not in m for m in messages), messages
    return messages


def test_control_characters_nul_and_bad_utf8_are_located(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    spec = tmp_path / "s.yaml"
    spec.write_text(VALID.replace("dance.npz", "dance\x07.npz"))
    [msg] = issues_of(spec)
    assert msg.startswith(f"{spec}:7:") and "control characters" in msg
    spec.write_text(VALID + "name: a\x00b\n")
    [msg] = issues_of(spec)
    assert msg.startswith(f"{spec}:8:8:") and "NUL" in msg
    spec.write_bytes(VALID.encode() + b"name: \xff\xfe\n")
    [msg] = issues_of(spec)
    assert msg.startswith(f"{spec}:8:7:") and "not UTF-8" in msg


def test_deep_nesting_and_billion_laughs_are_refused_fast(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    [msg] = issues_of(deep)
    assert "nested deeper than" in msg and msg.startswith(f"{deep}:1:")
    laughs = tmp_path / "laughs.yaml"
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    laughs.write_text("\n".join(lines) + "\n")
    assert len(laughs.read_bytes()) < 600
    started = time.perf_counter()
    [msg] = issues_of(laughs)
    assert time.perf_counter() - started < 1.0
    assert "expands to more than" in msg


def test_fifo_device_and_oversized_specs_are_refused_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    [msg] = issues_of(fifo)  # would block forever if it were opened for reading
    assert "a FIFO" in msg
    started = time.perf_counter()
    [msg] = issues_of(Path("/dev/zero"))
    assert "device" in msg and time.perf_counter() - started < 1.0
    big = tmp_path / "big.yaml"
    big.write_text(VALID + "#" * 2000 + "\n")
    monkeypatch.setenv("DH_MAX_SPEC_BYTES", "1000")
    [msg] = issues_of(big)
    assert "larger than 1000 bytes" in msg and "DH_MAX_SPEC_BYTES" in msg


def test_hostile_paths_are_located_errors(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    nul = tmp_path / "nul.yaml"
    nul.write_text(VALID.replace("image: person.png", 'image: "per\\0son.png"'))
    [msg] = issues_of(nul)
    assert msg.startswith(f"{nul}:4:10: subject.image:") and "null" in msg
    long = tmp_path / "long.yaml"
    long.write_text(VALID.replace("image: person.png", f"image: {'x' * 300}.png"))
    [msg] = issues_of(long)
    assert msg.startswith(f"{long}:4:10: subject.image:") and "too long" in msg


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (SHOOT.replace("photos: [person.png]", "photos: 5"), "identity.photos"),
        (SHOOT.replace("looks:\n  - {name: a, template: person.png}", "looks: 3"), "looks"),
        (VALID + "animate: {backend: champ, guidance: [a, b]}\n", "animate.guidance"),
        (VALID + "animate: {backend: champ, guidance: some.mp4}\n", "animate.guidance"),
    ],
)
def test_wrong_types_where_files_are_expected(tmp_path: Path, text: str, field: str) -> None:
    path = write(tmp_path, text)
    assert any(f": {field}: " in m for m in issues_of(path))


def _save_raw(path: Path, **arrays: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.savez(fh, **arrays)


def _pose_arrays(frames: int = 3) -> dict[str, np.ndarray]:
    seq = PoseSequence.empty(frames, 80, 96, 24.0)
    seq.body[:, :8] = (0.5, 0.5, 0.9)
    return {
        "format": np.array("dh-pose/1"), "body": seq.body, "hands": seq.hands, "face": seq.face,
        "size": np.array([80, 96]), "fps": np.array(24.0),
    }  # fmt: skip


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "unreadable keypoint file"),
        (lambda p: p.write_bytes(b"PK\x03\x04" + os.urandom(300)), "unreadable keypoint file"),
        (lambda p: np.save(open(p, "wb"), np.zeros((3, 18, 3))), "a bare .npy array"),
        (lambda p: _save_raw(p, **{**_pose_arrays(), "size": np.array(80)}), "'size' must be two integers"),
        (
            lambda p: _save_raw(p, **{**_pose_arrays(), "fps": np.array([24.0, 25.0])}),
            "'fps' must be one number",
        ),
        (lambda p: _save_raw(p, **{**_pose_arrays(), "fps": np.array(1e9)}), "outside the plausible range"),
        (lambda p: _save_raw(p, **{**_pose_arrays(), "size": np.array([80, 10**9])}), "plausible range"),
    ],
    ids=["truncated", "corrupted", "renamed-npy", "scalar-size", "vector-fps", "fps-1e9", "huge-size"],
)
def test_broken_keypoint_files_name_the_file(tmp_path: Path, make, expected: str) -> None:  # type: ignore[no-untyped-def]
    path = write(tmp_path, VALID)
    make(tmp_path / "dance.npz")
    [msg] = issues_of(path)
    assert f"motion.path: {tmp_path / 'dance.npz'}: " in msg and expected in msg


def test_keypoint_frames_are_limited_from_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, VALID)
    monkeypatch.setenv("DH_MAX_KEYPOINT_FRAMES", "4")
    _save_raw(tmp_path / "dance.npz", **_pose_arrays(5))
    [msg] = issues_of(path)
    assert "5 frames, more than 4" in msg


def _png_header_only(path: Path, width: int, height: int) -> None:
    """A PNG whose header claims width x height but holds one tiny compressed row: nothing to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def test_huge_image_is_refused_from_its_header(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    _png_header_only(tmp_path / "person.png", 20000, 20000)
    started = time.perf_counter()
    [msg] = issues_of(path)
    assert time.perf_counter() - started < 2.0
    assert "subject.image" in msg and "too large" in msg and "DH_MAX_IMAGE_PIXELS" in msg


def test_symlink_and_special_files_in_an_openpose_folder_are_refused(tmp_path: Path) -> None:
    spec = tmp_path / "spec"
    (spec / "poses").mkdir(parents=True)
    secret = tmp_path / "secret.json"
    secret.write_text('{"people": []}')
    (spec / "poses" / "000.json").symlink_to(secret)
    path = write(
        spec,
        VALID.replace(
            "type: keypoints\n  path: dance.npz",
            "type: openpose_json\n  path: poses\n  width: 64\n  height: 64",
        ),
    )
    [msg] = issues_of(path)
    assert "motion.path" in msg and "outside its folder" in msg
    (spec / "poses" / "000.json").unlink()
    os.mkfifo(spec / "poses" / "001.json")
    [msg] = issues_of(path)
    assert "a FIFO" in msg


def _mp4(path: Path, frames: int) -> None:
    with av.open(str(path), "w", options={"movflags": "faststart"}) as c:
        s = c.add_stream("libx264", rate=24, options={"g": "1"})
        s.width, s.height, s.pix_fmt = 64, 64, "yuv420p"
        for i in range(frames):
            img = np.full((64, 64, 3), (i * 9) % 256, np.uint8)
            img[:, : i % 64] = 255
            for packet in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)


def test_truncated_video_is_an_error_or_a_warning_with_the_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = tmp_path / "drive.mp4"
    _mp4(video, 48)
    path = write(
        tmp_path, VALID.replace("type: keypoints\n  path: dance.npz", "type: video\n  path: drive.mp4")
    )
    assert load_spec(path, check_content=True).warnings == []
    data = video.read_bytes()
    video.write_bytes(data[: len(data) * 2 // 3])
    [msg] = errors_of(path)
    assert "of the 48 frames its header declares" in msg and "motion.path" in msg
    monkeypatch.setenv("DH_MAX_MISSING_FRAMES", "0.9")
    [warning] = load_spec(path).warnings
    assert warning.startswith(f"motion.path: {video}: only ") and "of the 48 frames" in warning


def test_a_group_photo_as_the_identity_asks_which_face(tmp_path: Path) -> None:
    import shutil

    import insightface

    images = Path(insightface.__file__).parent / "data" / "images"
    shutil.copy(images / "t1.jpg", tmp_path / "group.jpg")  # six people, faces of about one size
    path = write(tmp_path, SHOOT.replace("photos: [person.png]", "photos: [group.jpg]"))
    [msg] = [m for m in issues_of(path) if ": identity.photos.0: " in m]
    assert "6 faces of similar size" in msg and "which one is the identity?" in msg and "group.jpg" in msg
