"""The embedded try-on backend on real photos: the top lands on the torso, the rest stays untouched."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.demo.assets import png_writer
from dhcore.demo.tryon_assets import tshirt
from dhcore.errors import InputError
from dhcore.pose import extract
from dhcore.pose.keypoints import J, PoseSequence
from dhcore.quality import judge
from dhcore.spec.try_on import TryOnQualitySpec
from dhcore.tryon import figures, warp
from tests import realdata


def dress(
    tmp_path: Path, name: str, garment_photo: np.ndarray | None = None, **params: object
) -> tuple[np.ndarray, dict[str, np.ndarray], PoseSequence, dict[str, float]]:
    person = tmp_path / f"{name}.png"
    png_writer(realdata.rgb(name))(person)
    garment = tmp_path / "garment.png"
    png_writer(tshirt() if garment_photo is None else garment_photo)(garment)
    pose = extract.STAGE.call(tmp_path / "pose", source=person).outputs["pose"].path
    result = warp.STAGE.call(
        tmp_path / "warp", warp.Params(**params), person=person, garment=garment, person_pose=pose
    )
    out = {role: cv2.imread(str(o.path), cv2.IMREAD_UNCHANGED) for role, o in result.outputs.items()}
    category = str(params.get("category", "top"))
    fig = figures.STAGE.call(
        tmp_path / "fig", figures.Params(category=category), person=person, garment=garment,
        result=result.outputs["image"].path, edit_mask=result.outputs["edit_mask"].path,
        warped_garment=result.outputs["warped_garment"].path, person_pose=pose,
    )  # fmt: skip
    return realdata.rgb(name), out, PoseSequence.load(pose), fig.metrics


def test_astronaut_wears_the_shirt_on_her_torso(tmp_path: Path) -> None:
    photo, out, pose, metrics = dress(tmp_path, "astronaut")
    result = cv2.cvtColor(out["image"], cv2.COLOR_BGR2RGB)
    assert result.shape == photo.shape
    worn = out["edit_mask"] == 255
    h, w = photo.shape[:2]
    body = pose.body[0, :, :2] * (w, h)
    centre = (body[J["r_shoulder"]] + body[J["l_shoulder"]]) / 2 + [0, 0.15 * h]
    assert worn[int(centre[1]), int(centre[0])]  # below the collar, between the shoulders
    nose = body[J["nose"]].astype(int)
    assert not worn[nose[1], nose[0]] and (result[nose[1], nose[0]] == photo[nose[1], nose[0]]).all()
    # the shirt's red and yellow stripes now cover most of the torso (the spacesuit was orange)
    hsv = cv2.cvtColor(result, cv2.COLOR_RGB2HSV)[worn]
    assert 0.1 < worn.mean() < 0.5
    assert ((hsv[:, 0] > 20) & (hsv[:, 0] < 35)).mean() > 0.25  # yellow stripes
    # nothing outside the edited region changed
    assert (result[out["edit_mask"] == 0] == photo[out["edit_mask"] == 0]).all()
    assert metrics["background_psnr"] == figures.PSNR_IDENTICAL
    assert metrics["face_distance"] < 0.1 and metrics["silhouette_iou"] > 0.85
    assert metrics["garment_colour"] > 0.5 and metrics["garment_ssim"] > 0.6
    # it sits at her neck and shoulders, carries the suit's folds, and passes every default gate
    assert metrics["collar_offset"] < 0.1 and metrics["shoulder_cover"] > 0.8 and metrics["torso_cover"] > 0.9
    assert metrics["shading_agreement"] > 0.75 and metrics["garment_outside"] < 0.05
    assert judge(metrics, TryOnQualitySpec()).status == "succeeded"


def test_a_flat_cut_out_needs_review(tmp_path: Path) -> None:
    _, _, _, metrics = dress(tmp_path, "astronaut", shading=0.0)
    assert metrics["shading_agreement"] < 0.1
    verdict = judge(metrics, TryOnQualitySpec())
    assert verdict.status == "needs_review"
    assert [r.split()[0] for r in verdict.reasons] == ["shading_agreement"]


def test_forearms_held_in_front_stay_in_front(tmp_path: Path) -> None:
    photo, out, pose, _ = dress(tmp_path, "arms_in_front")
    h, w = photo.shape[:2]
    body, ok = pose.body[0, :, :2] * (w, h), pose.body[0, :, 2] >= 0.3
    shown = 0
    for elbow, wrist in (("r_elbow", "r_wrist"), ("l_elbow", "l_wrist")):
        if ok[J[elbow]] and ok[J[wrist]]:
            mid = ((body[J[elbow]] + body[J[wrist]]) / 2).astype(int)
            assert out["edit_mask"][mid[1], mid[0]] != 255  # the forearm is not covered by the shirt
            shown += 1
    assert shown >= 1 and (out["edit_mask"] == 255).mean() > 0.05


def test_a_photo_without_both_shoulders_is_refused(tmp_path: Path) -> None:
    pose = PoseSequence.empty(1, 64, 64, 1.0)
    body = pose.body.copy()
    body[0, J["nose"]] = (0.5, 0.3, 0.9)
    body[0, J["neck"]] = (0.5, 0.5, 0.9)
    body[0, J["r_shoulder"]] = (0.3, 0.5, 0.9)
    with pytest.raises(InputError, match="^me.png: both shoulders must be visible"):
        warp.person_body(pose.replace(body=body), "me.png")


def test_sleeves_follow_raised_upper_arms() -> None:
    from dhcore.animate.warp.body import measure_body
    from dhcore.tryon.garment import cut_garment

    joints = np.full((18, 2), np.nan)
    for name, xy in {"nose": (200, 80), "neck": (200, 130), "r_shoulder": (150, 135), "l_shoulder": (250, 135),
                     "r_elbow": (90, 90), "l_elbow": (310, 90), "r_hip": (165, 280), "l_hip": (235, 280)}.items():  # fmt: skip
        joints[J[name]] = xy
    body = measure_body(joints, np.isfinite(joints).all(axis=1), 400)
    placed = warp.targets(body, cut_garment(tshirt(), "t.png"), 0.12)
    for side, sign in (("r", -1), ("l", 1)):
        sleeve = placed[f"{side}_sleeve"] - placed[f"{side}_shoulder"]
        assert sleeve[1] < 0 and np.sign(sleeve[0]) == sign  # up and outwards, like the raised arm
        arm = joints[J[f"{side}_elbow"]] - joints[J[f"{side}_shoulder"]]
        assert abs(np.cross(sleeve, arm)) / (np.linalg.norm(sleeve) * np.linalg.norm(arm)) < 1e-6
