"""The spec loader: valid specs load with defaults; every problem is reported with its position."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.pose.keypoints import PoseSequence
from dhcore.spec.loader import SpecError, load_spec


def _inputs(folder: Path) -> None:
    from skimage import data

    photo = cv2.resize(data.astronaut(), (256, 256), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(folder / "person.png"), cv2.cvtColor(photo, cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(5, 80, 96, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)  # a confident neck and shoulders: a visible body
    dance.save(folder / "dance.npz")


def write(folder: Path, text: str, name: str = "spec.yaml") -> Path:
    _inputs(folder)
    path = folder / name
    path.write_text(text)
    return path


VALID = """\
version: 1
kind: dance_video
subject:
  image: person.png
motion:
  type: keypoints
  path: dance.npz
"""


def test_minimal_spec_loads_with_defaults_and_resolved_paths(tmp_path: Path) -> None:
    loaded = load_spec(write(tmp_path, VALID))
    spec = loaded.spec
    assert spec.animate.backend == "warp" and (spec.animate.width, spec.animate.height) == (None, None)
    assert spec.output.audio.source == "auto" and spec.output.fps is None
    assert loaded.name == "spec"
    assert loaded.files[("subject", "image")] == (tmp_path / "person.png").resolve()
    norm = loaded.normalized()
    assert norm["motion"]["path"] == str((tmp_path / "dance.npz").resolve())


def test_sha256_is_stable_and_changes_with_content(tmp_path: Path) -> None:
    a = load_spec(write(tmp_path, VALID)).sha256
    assert load_spec(write(tmp_path, VALID + "\n# a comment\n", "b.yaml")).sha256 == a
    assert load_spec(write(tmp_path, VALID + "output: {crf: 20}\n", "c.yaml")).sha256 != a


def errors_of(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        load_spec(path)
    return [str(i) for i in info.value.issues]


def test_every_error_is_listed_with_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
version: 1
kind: dance_video
subject:
  image: missing.png
  imgae: typo.png
motion:
  type: keypoints
  path: dance.npz
pose:
  detector: openpose
animate:
  backend: musepose
  width: 500
output:
  crf: 99
""",
    )
    errors = errors_of(path)
    shown = str(path)
    assert f"{shown}:4:10: subject.image: " in errors[0] and "file does not exist" in errors[0]
    assert (
        errors[1]
        == f"{shown}:5:3: subject.imgae: unknown field 'imgae'; did you mean 'image'? (allowed: image, person)"
    )
    assert errors[2].startswith(f"{shown}:10:13: pose.detector: should be 'mediapipe' or 'dwpose'")
    assert errors[3].startswith(f"{shown}:13:10: animate.width: 500 is not a multiple of 8")
    assert "use 496 or 504" in errors[3]
    assert errors[4].startswith(f"{shown}:15:8: output.crf: ")
    assert len(errors) == 5


def test_missing_required_field_points_at_parent(tmp_path: Path) -> None:
    path = write(
        tmp_path, "version: 1\nkind: dance_video\nsubject: {}\nmotion: {type: keypoints, path: dance.npz}\n"
    )
    assert errors_of(path) == [f"{path}:3:10: subject.image: required field 'image' is missing"]


def test_union_tag_errors_point_at_the_tag(tmp_path: Path) -> None:
    path = write(tmp_path, VALID.replace("type: keypoints", "type: mocap"))
    [error] = errors_of(path)
    assert (
        error
        == f"{path}:6:9: motion.type: unknown value 'mocap'; expected one of 'video', 'keypoints', 'openpose_json'"
    )


def test_duplicate_keys_and_bad_yaml(tmp_path: Path) -> None:
    dup = write(tmp_path, VALID + "subject:\n  image: person.png\n", "dup.yaml")
    assert errors_of(dup) == [f"{dup}:8:1: subject: duplicate key 'subject'"]
    bad = write(tmp_path, "version: 1\nkind: [dance_video\n", "bad.yaml")
    [error] = errors_of(bad)
    assert error.startswith(f"{bad}:3:1: (spec): invalid YAML")


def test_unsafe_yaml_tags_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "!!python/object/apply:os.system ['echo hacked']\n", "evil.yaml")
    [error] = errors_of(path)
    assert "invalid YAML" in error and "python/object" in error


def test_paths_outside_allowed_roots_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inner = tmp_path / "specs"
    inner.mkdir()
    _inputs(tmp_path)
    path = inner / "spec.yaml"
    path.write_text(VALID.replace("person.png", "../person.png").replace("dance.npz", "../dance.npz"))
    monkeypatch.delenv("DH_ALLOWED_ROOTS", raising=False)
    errors = errors_of(path)
    assert len(errors) == 2 and all(
        "outside the allowed roots" in e and "DH_ALLOWED_ROOTS" in e for e in errors
    )
    monkeypatch.setenv("DH_ALLOWED_ROOTS", str(tmp_path))
    assert load_spec(path).files[("subject", "image")] == (tmp_path / "person.png").resolve()


def test_unreadable_and_empty_inputs_are_validation_errors(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    (tmp_path / "person.png").write_bytes(b"not an image")
    PoseSequence.empty(0, 80, 96, 24.0).save(tmp_path / "dance.npz")
    errors = errors_of(path)
    assert "not a readable image" in errors[0]
    assert "keypoint file has no frames" in errors[1]
    PoseSequence.empty(4, 80, 96, 24.0).save(tmp_path / "dance.npz")
    assert "no visible body in any of its 4 frames" in errors_of(path)[-1]


def test_video_without_frames_and_audio_rules(tmp_path: Path) -> None:
    import subprocess

    import imageio_ffmpeg

    video = tmp_path / "empty.avi"
    argv = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=64x64:r=24"]
    subprocess.run([*argv, "-frames:v", "0", str(video)], check=True)
    path = write(
        tmp_path, VALID.replace("type: keypoints\n  path: dance.npz", "type: video\n  path: empty.avi")
    )
    assert any("video has no frames" in e for e in errors_of(path))
    driving = write(tmp_path, VALID + "output:\n  audio: {source: driving}\n", "driving.yaml")
    [error] = errors_of(driving)
    assert "needs a driving video" in error


def test_a_driving_video_over_4_to_1_is_refused_at_motion_path(tmp_path: Path) -> None:
    """Like the photo: its dancer would be too small for the pose detector, and the run would fail with
    "no visible body" in a video that shows one."""
    from fractions import Fraction

    from dhcore.media.frames import FrameWriter

    for name, (w, h) in {"strip.nut": (320, 64), "wide.nut": (256, 64)}.items():
        with FrameWriter(tmp_path / name, Fraction(10), w, h) as writer:
            writer.write(np.full((3, h, w, 3), 90, np.uint8))
    strip = write(
        tmp_path, VALID.replace("type: keypoints\n  path: dance.npz", "type: video\n  path: strip.nut")
    )
    [error] = errors_of(strip)
    assert error.startswith(f"{strip}:7:9: motion.path: {tmp_path / 'strip.nut'}: the video is 320x64, ")
    assert "an aspect ratio over 4:1; crop it around the dancer" in error
    wide = VALID.replace("type: keypoints\n  path: dance.npz", "type: video\n  path: wide.nut")
    assert load_spec(write(tmp_path, wide, "wide.yaml")).spec.motion.type == "video"  # 4:1 is allowed


def test_kind_and_version_errors(tmp_path: Path) -> None:
    unknown = write(tmp_path, VALID.replace("kind: dance_video", "kind: dance"), "k.yaml")
    [error] = errors_of(unknown)
    assert error.startswith(
        f"{unknown}:2:7: kind: unknown value 'dance'; expected one of 'dance_video', 'photo_shoot'"
    )
    missing = write(tmp_path, VALID.replace("kind: dance_video\n", ""), "m.yaml")
    assert errors_of(missing) == [f"{missing}:1:1: kind: required field 'kind' is missing"]
    v2 = write(tmp_path, VALID.replace("version: 1", "version: 2"), "v.yaml")
    assert errors_of(v2) == [f"{v2}:1:10: version: should be 1"]


def test_photo_shoot_errors_are_located_in_lists(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
version: 1
kind: photo_shoot
identity:
  photos: [person.png, missing.jpg]
looks:
  - {name: a, template: person.png, prompt: "both"}
  - {name: a, prompt: studio portrait, count: 0}
""",
        "shoot.yaml",
    )
    errors = errors_of(path)
    assert errors[0].startswith(f"{path}:4:24: identity.photos.1: ") and "file does not exist" in errors[0]
    assert errors[1] == f"{path}:6:5: looks.0: a look has exactly one of `template` or `prompt`"
    assert errors[2].startswith(f"{path}:7:47: looks.1.count: should be greater than or equal to 1")


def test_photo_shoot_backend_params_are_typed_by_backend_and_located(tmp_path: Path) -> None:
    shoot = """\
version: 1
kind: photo_shoot
identity: {photos: [person.png]}
looks: [{name: a, prompt: studio portrait}]
backend: cosmicman
backend_params: {steps: 0, strength: 0.5}
"""
    path = write(tmp_path, shoot, "shoot.yaml")
    errors = errors_of(path)
    assert errors[0] == f"{path}:6:25: backend_params.steps: should be greater than or equal to 1"
    assert errors[1].startswith(f"{path}:6:28: backend_params.strength: unknown field 'strength'")
    unknown = write(tmp_path, shoot.replace("backend: cosmicman", "backend: cosmicwoman"), "unknown.yaml")
    assert errors_of(unknown)[0].startswith(
        f"{unknown}:5:10: backend: unknown value 'cosmicwoman'; expected one of"
    )
    swap = write(tmp_path, shoot.replace("backend: cosmicman\nbackend_params: {steps: 0, strength: 0.5}\n", "backend_params: {blend: seamless}\n"), "swap.yaml")  # fmt: skip
    spec = load_spec(swap, check_content=False).spec
    assert spec.backend == "template_swap" and spec.backend_params.blend == "seamless"
    assert spec.backend_call_params() == {"face_backend": "dlib", "blend": "seamless"}  # what the user set


def test_face_stages_need_a_face_in_the_reference(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    noise = np.random.default_rng(0).integers(0, 255, (96, 80, 3), dtype=np.uint8)
    cv2.imwrite(str(tmp_path / "person.png"), noise)
    person, face = errors_of(path)
    assert person.startswith(f"{path}:4:10: subject.image: ") and "no person found in the reference" in person
    assert face.startswith(f"{path}:4:10: subject.image: ") and "no face found in the reference photo" in face
    _inputs(tmp_path)  # a photo with a person but, as far as face stages go, no need for a face
    off = tmp_path / "off.yaml"
    off.write_text(
        VALID + "face: {identity: {enabled: false}, restore: {backend: none}, refine: {backend: none}}\n"
    )
    assert load_spec(off).spec.face_stages_requested() is False


def test_backend_params_and_missing_models_are_validation_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DH_MODELS_DIR", str(tmp_path / "models"))
    bad = write(tmp_path, VALID + "animate: {backend: musepose, params: {steps: 0, windw: 3}}\n", "bad.yaml")
    errors = errors_of(bad)
    assert errors[0].startswith(f"{bad}:8:46: animate.params.steps: should be greater than or equal to 1")
    # params are typed per backend in the spec model: the loader's own message, at the key
    assert errors[1].startswith(
        f"{bad}:8:49: animate.params.windw: unknown field 'windw'; did you mean 'window'?"
    )
    missing = write(tmp_path, VALID + "animate: {backend: musepose}\n", "missing.yaml")
    errors = errors_of(missing)
    assert all(e.startswith(f"{missing}:8:20: animate.backend: model '") for e in errors)
    assert "musepose/denoising_unet.pth" in errors[0] and "dh models add musepose PATH" in errors[0]
    warp = write(tmp_path, VALID + "animate: {params: {mesh_step: 9}}\n", "warp.yaml")
    assert "animate.params.mesh_step: should be less than or equal to 0.2" in errors_of(warp)[0]


def test_quality_block_has_defaults_and_located_errors(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, VALID)).spec
    assert spec.quality.enforce == "review" and spec.quality.thresholds()["pose_pck"] == 0.8
    custom = load_spec(
        write(tmp_path, VALID + "quality: {enforce: fail, face_match_rate: null}\n", "q.yaml")
    ).spec
    assert custom.quality.enforce == "fail" and "face_match_rate" not in custom.quality.thresholds()
    path = write(tmp_path, VALID + "quality:\n  pose_pck: 1.5\n  motion: 0.5\n", "bad.yaml")
    errors = errors_of(path)
    assert errors[0].startswith(f"{path}:9:13: quality.pose_pck: ")
    assert errors[1].startswith(f"{path}:10:3: quality.motion: unknown field 'motion'")


def test_a_remembered_validation_is_reused_until_the_spec_or_an_input_changes(tmp_path: Path) -> None:
    from dhcore.spec import loader

    path = write(tmp_path, VALID)
    first = load_spec(path)
    loader.remember(first)
    try:
        assert load_spec(path) is first and load_spec(path, check_content=False) is first
        assert load_spec(tmp_path / "." / "spec.yaml") is first  # the same file by another name
        path.write_text(VALID + "name: renamed\n")
        edited = load_spec(path)
        assert edited is not first and edited.name == "renamed"
        loader.remember(edited)
        (tmp_path / "person.png").write_bytes(b"not an image any more")
        with pytest.raises(SpecError, match="person.png"):  # an input replaced: validated again
            load_spec(path)
    finally:
        loader._validated.clear()
