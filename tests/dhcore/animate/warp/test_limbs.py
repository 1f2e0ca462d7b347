"""The full-body figure: every limb bone must land on its TARGET segment and leave its old one."""

from __future__ import annotations

from fractions import Fraction

import cv2
import numpy as np
import pytest

from dhcore.animate.base import AnimateInputs
from dhcore.animate.warp import WarpBackend, WarpParams
from dhcore.animate.warp.backend import Puppet
from dhcore.media.frames import iter_frames
from dhcore.media.geometry import photo_fit
from dhcore.pose.keypoints import J
from dhcore.stage import no_progress

W, H = 384, 512
#: the standing figure's joints (pixels), as conftest draws it
FIGURE = {
    "nose": (192, 70), "neck": (192, 120), "r_shoulder": (150, 125), "l_shoulder": (234, 125),
    "r_hip": (165, 265), "l_hip": (219, 265), "r_knee": (155, 365), "r_ankle": (150, 460),
    "l_knee": (229, 365), "l_ankle": (234, 460), "r_eye": (180, 62), "l_eye": (204, 62),
    "r_ear": (170, 68), "l_ear": (214, 68),
}  # fmt: skip


def _colour_share(frame: np.ndarray, a: np.ndarray, b: np.ndarray, colour, t0=0.2, t1=0.8, tol=45.0) -> float:
    """Share of points along segment a->b (middle part) whose pixel has the given colour."""
    hits = 0
    ts = np.linspace(t0, t1, 25)
    for t in ts:
        x, y = np.round(a + t * (b - a)).astype(int)
        if not (0 <= x < frame.shape[1] and 0 <= y < frame.shape[0]):
            continue
        hits += float(np.linalg.norm(frame[y, x].astype(float) - colour)) < tol
    return hits / len(ts)


def _render(scene, helpers, photo, ref, targets, **params):
    inputs = scene.inputs(
        photo, helpers.pose_sequence([ref], W, H), helpers.pose_sequence(targets, W, H), W, H
    )
    out = scene.root / "out.nut"
    result = WarpBackend().run(inputs, WarpParams(**params), out, no_progress)
    frames = np.concatenate(list(iter_frames(out)))
    return result, frames


@pytest.fixture(scope="module")
def moved_pose():
    """Each limb moved by a known rotation so that its old place becomes background."""

    def make(helpers, joints):
        t = helpers.rotate(joints, "r_elbow", ["r_wrist"], 70)  # forearm up and out
        t = helpers.rotate(t, "l_shoulder", ["l_elbow", "l_wrist"], -100)  # whole arm raised
        t = helpers.rotate(t, "r_hip", ["r_knee", "r_ankle"], 30)  # leg kicked out
        return helpers.rotate(t, "l_knee", ["l_ankle"], -50)  # shin bent

    return make


def test_arms_and_legs_follow_the_target_bones(scene, helpers, figure, moved_pose):
    photo, ref = figure
    target = moved_pose(helpers, ref)
    result, frames = _render(scene, helpers, photo, ref, [ref, target])
    assert frames.shape == (2, H, W, 3)
    assert result.frames == 2 and result.metrics["layers"] == 5
    last = frames[-1]
    moved = ["r_forearm", "l_upper_arm", "l_forearm", "r_thigh", "r_shin", "l_shin"]
    for bone in moved:
        a, b, colour = helpers.LIMB_COLOURS[bone]
        on_target = _colour_share(last, target[J[a]], target[J[b]], colour)
        on_source = _colour_share(last, ref[J[a]], ref[J[b]], colour)
        assert on_target >= 0.9, f"{bone}: only {on_target:.0%} of its target segment has its colour"
        assert on_source <= 0.1, f"{bone}: {on_source:.0%} of its old segment still has its colour"
    for bone in ("r_upper_arm", "l_thigh"):  # bones that did not move stay put
        a, b, colour = helpers.LIMB_COLOURS[bone]
        assert _colour_share(last, target[J[a]], target[J[b]], colour) >= 0.9
    # what was behind the moved limbs is the plain background again, not a hole
    a, b, _ = helpers.LIMB_COLOURS["l_forearm"]
    mid = np.round((ref[J[a]] + ref[J[b]]) / 2).astype(int)
    assert np.abs(last[mid[1], mid[0]].astype(int) - helpers.BACKGROUND).max() <= 12


def test_a_forearm_across_the_torso_is_drawn_in_front(scene, helpers, figure):
    photo, ref = figure
    # the right forearm swings inward so that it lies horizontally over the torso
    elbow, wrist = ref[J["r_elbow"]], ref[J["r_wrist"]]
    length = float(np.linalg.norm(wrist - elbow))
    target = ref.copy()
    target[J["r_wrist"]] = elbow + np.array([length, 0.0])
    _, frames = _render(scene, helpers, photo, ref, [target])
    a, b, colour = helpers.LIMB_COLOURS["r_forearm"]
    # the part of the forearm that lies over the blue torso shows the forearm's colour
    torso_x0 = ref[J["r_shoulder"]][0] + 10
    t_over = (torso_x0 - elbow[0]) / length
    assert t_over < 0.9
    assert _colour_share(frames[0], target[J[a]], target[J[b]], colour, t0=t_over, t1=0.9) >= 0.9


@pytest.mark.parametrize("near", ["r", "l"])
def test_the_drivers_depth_draws_the_nearer_of_two_crossed_forearms_on_top(scene, helpers, figure, near):
    photo, ref = figure
    target = ref.copy()
    y = 240.0  # both forearms folded in front of the belly, crossing in the middle
    target[J["r_elbow"]], target[J["r_wrist"]] = (150.0, y), (245.0, y)
    target[J["l_elbow"]], target[J["l_wrist"]] = (234.0, y), (139.0, y)
    depth = np.zeros((1, 18), np.float32)  # in the driver's shoulder widths; torso at 0
    depth[0, [J[f"{near}_elbow"], J[f"{near}_wrist"]]] = -1.0
    depth[0, [J[f"{'lr'[near == 'l']}_elbow"], J[f"{'lr'[near == 'l']}_wrist"]]] = -0.5
    poses = helpers.pose_sequence([target], W, H).replace(depth=depth)
    inputs = scene.inputs(photo, helpers.pose_sequence([ref], W, H), poses, W, H)
    WarpBackend().run(inputs, WarpParams(), scene.root / "out.nut", no_progress)
    frame = np.concatenate(list(iter_frames(scene.root / "out.nut")))[0].astype(float)
    middle = frame[int(y) - 2 : int(y) + 3, 180:205].reshape(-1, 3)
    near_colour = np.array(helpers.LIMB_COLOURS[f"{near}_forearm"][2], float)
    far_colour = np.array(helpers.LIMB_COLOURS[f"{'lr'[near == 'l']}_forearm"][2], float)
    near_hits = (np.linalg.norm(middle - near_colour, axis=1) < 45).mean()
    far_hits = (np.linalg.norm(middle - far_colour, axis=1) < 45).mean()
    assert near_hits >= 0.8 and far_hits <= 0.1


def test_missing_target_joints_keep_the_limb_attached(scene, helpers, figure):
    """A wrist lost in the target: the forearm follows its upper arm instead of staying behind."""
    photo, ref = figure
    raised = helpers.rotate(ref, "r_shoulder", ["r_elbow", "r_wrist"], 60)
    lost = raised.copy()
    lost[J["r_wrist"]] = np.nan
    _, frames = _render(scene, helpers, photo, ref, [ref, raised, lost])
    a, b, colour = helpers.LIMB_COLOURS["r_forearm"]
    assert _colour_share(frames[2], raised[J[a]], raised[J[b]], colour) >= 0.9
    assert np.isfinite(frames.astype(float)).all()


def test_identity_pose_reproduces_the_photo(scene, helpers, figure):
    photo, ref = figure
    _, frames = _render(scene, helpers, photo, ref, [ref])
    diff = frames[0].astype(float) - photo
    psnr = 10 * np.log10(255.0**2 / max(1e-9, float((diff**2).mean())))
    assert psnr >= 32, f"PSNR {psnr:.1f} dB"


def test_a_limb_that_cannot_be_cut_out_is_held_and_reported(scene, helpers, figure, moved_pose):
    """The detector reports a right arm the photo does not show apart from the background (here:
    painted over): the puppet cannot move it, and says so in metrics, warnings and frame meta."""
    photo, ref = figure
    hidden = photo.copy()
    for bone in ("r_upper_arm", "r_forearm"):
        a, b, _ = helpers.LIMB_COLOURS[bone]
        pa, pb = (tuple(int(round(v)) for v in ref[J[n]]) for n in (a, b))
        cv2.line(hidden, pa, pb, helpers.BACKGROUND, 30)
    target = moved_pose(helpers, ref)
    result, _ = _render(scene, helpers, hidden, ref, [ref, target])
    assert result.metrics["held_joints"] == 2
    assert result.outputs["frames"].meta["held_joints"] == ["r_elbow", "r_wrist"]
    assert any("held still: r_elbow, r_wrist" in w for w in result.warnings)
    clean, _ = _render(scene, helpers, photo, ref, [ref, target])
    assert clean.metrics["held_joints"] == 0 and clean.outputs["frames"].meta["held_joints"] == []


def test_forearms_crossed_over_the_torso_are_cut_out_and_the_shirt_filled(scene, helpers):
    """Arms crossed in front of the chest in the photo, raised in the target: each forearm lands
    on its target bone and the chest where it lay shows shirt, not sleeve."""
    joints = helpers.joints_array(
        {**FIGURE, "r_elbow": (150, 215), "r_wrist": (225, 180),
         "l_elbow": (234, 215), "l_wrist": (159, 180)}
    )  # fmt: skip
    photo = helpers.draw_figure(joints)
    target = helpers.rotate(joints, "r_shoulder", ["r_elbow"], 0)
    target[J["r_elbow"]], target[J["r_wrist"]] = (95, 150), (60, 85)  # arms raised outwards
    target[J["l_elbow"]], target[J["l_wrist"]] = (289, 150), (324, 85)
    result, frames = _render(scene, helpers, photo, joints, [target])
    assert result.metrics["held_joints"] == 0
    last = frames[-1]
    for bone in ("r_forearm", "l_forearm"):
        a, b, colour = helpers.LIMB_COLOURS[bone]
        assert _colour_share(last, target[J[a]], target[J[b]], colour) >= 0.8, bone
        assert _colour_share(last, joints[J[a]], joints[J[b]], colour, t0=0.35, t1=0.65) <= 0.1, bone
    chest = np.round((joints[J["r_wrist"]] + joints[J["l_wrist"]]) / 2 + (0, 12)).astype(int)
    assert np.abs(last[chest[1], chest[0]].astype(int) - helpers.TORSO).max() <= 40


def test_limb_depths_place_a_hidden_limb_at_the_torso_and_need_the_torso():
    from dhcore.animate.warp.backend import _limb_depths

    depth = np.zeros(18, np.float32)
    depth[[J["r_elbow"], J["r_wrist"]]] = -2.0  # the near arm, in front
    ok = np.ones(18, bool)
    ok[[J["l_elbow"], J["l_wrist"]]] = False  # the far arm hidden in the driver
    depth[[J["r_shoulder"], J["l_shoulder"], J["r_hip"], J["l_hip"]]] = 0.5
    assert _limb_depths(depth, ok, ["r_arm", "l_arm"]) == {"r_arm": -2.0, "l_arm": 0.5}
    ok[[J["r_shoulder"], J["l_shoulder"], J["r_hip"]]] = False
    assert _limb_depths(depth, ok, ["r_arm", "l_arm"]) is None  # one torso joint is not a torso


@pytest.mark.parametrize("arm_nearer", [False, True])
def test_the_face_stays_over_an_arm_swung_across_it_unless_the_driver_puts_the_arm_in_front(
    scene, helpers, figure, arm_nearer
):
    photo, ref = figure
    target = ref.copy()
    head = (ref[J["r_eye"]] + ref[J["l_eye"]]) / 2 + (0, 8)  # the face's centre in the figure
    target[J["r_elbow"]] = head - (70.0, 0.0)  # the right forearm raised, level, across the face
    target[J["r_wrist"]] = head + (20.0, 0.0)
    depth = np.zeros((1, 18), np.float32)  # the driver's, in shoulder widths: the arm beside the torso
    if arm_nearer:
        depth[0, [J["r_elbow"], J["r_wrist"]]] = -1.0
        depth[0, J["nose"]] = -0.3
    poses = helpers.pose_sequence([target], W, H).replace(depth=depth)
    inputs = scene.inputs(photo, helpers.pose_sequence([ref], W, H), poses, W, H)
    WarpBackend().run(inputs, WarpParams(), scene.root / "out.nut", no_progress)
    frame = np.concatenate(list(iter_frames(scene.root / "out.nut")))[0].astype(float)
    x, y = np.round(head).astype(int)
    face = frame[y - 3 : y + 4, x - 12 : x + 13].reshape(-1, 3)
    forearm = np.array(helpers.LIMB_COLOURS["r_forearm"][2], float)
    skin_share = (np.linalg.norm(face - np.array(helpers.SKIN, float), axis=1) < 45).mean()
    arm_share = (np.linalg.norm(face - forearm, axis=1) < 45).mean()
    if arm_nearer:
        assert arm_share >= 0.8, "the driver's arm is in front of its face: the arm must hide the face"
    else:
        assert skin_share >= 0.9 and arm_share <= 0.05, "the arm hid the face"


BALL = (120, 70, 30)


@pytest.mark.parametrize("moved", ["r", "l"])
def test_an_object_both_hands_hold_stays_whole_with_the_steadier_hand(scene, helpers, moved):
    """Both hands hold a ball beside the chest; the target lowers one arm. The ball stays with the
    hand that keeps still (the other one's stub would flood half of it and carry that away), and
    the lowered arm still lands on its target."""
    joints = helpers.joints_array(
        {**FIGURE, "r_elbow": (200, 200), "r_wrist": (275, 190), "l_elbow": (262, 200), "l_wrist": (290, 180)}
    )
    photo = helpers.draw_figure(joints)
    centre, radius = (300, 150), 22
    cv2.circle(photo, centre, radius, BALL, -1)
    target = joints.copy()
    if moved == "r":
        target[J["r_elbow"]], target[J["r_wrist"]] = (115, 195), (90, 265)
    else:
        target[J["l_elbow"]], target[J["l_wrist"]] = (269, 195), (294, 265)
    result, frames = _render(scene, helpers, photo, joints, [target])
    assert result.metrics["held_joints"] == 0
    last = frames[-1].astype(float)
    ball = np.linalg.norm(last - BALL, axis=2) < 40
    yy, xx = np.mgrid[: last.shape[0], : last.shape[1]]
    disc = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2
    inner, around = disc <= (radius - 4) ** 2, disc <= (radius + 6) ** 2
    assert ball[inner].mean() >= 0.9, f"only {ball[inner].mean():.0%} of the ball stayed"
    assert (ball & ~around).sum() <= 0.05 * inner.sum(), f"{(ball & ~around).sum()} ball pixels moved away"
    a, b, colour = helpers.LIMB_COLOURS[f"{moved}_forearm"]
    assert _colour_share(frames[-1], target[J[a]], target[J[b]], colour) >= 0.8


def _holes(opaque: np.ndarray) -> int:
    """Pixels of the background a mask encloses (not reached from its border)."""
    reached = np.pad(opaque.astype(np.uint8), 1)
    cv2.floodFill(reached, None, (0, 0), 1)
    return int((reached == 0).sum())


def test_the_ball_both_hands_hold_has_no_hole_and_leaves_no_patch_beside_the_face(tmp_path):
    """The basketball photo: both hands hold the ball in front of the chest, the target lowers the
    right arm, so the left hand keeps the ball. Where the right hand lay on the ball the left arm's
    layer had a hole (606 px), the ball's edge inside the head's disc gave the core a loose patch
    of fill beside the face (435 px) that moved with the head, and the right hand's fingertips
    stayed on the ball or came off as a loose bit (53 px). A bit of the ball's edge stayed a loose
    piece of the core (95 px), drawn with the head as a pale squiggle beside the face."""
    from dhcore.pose import extract
    from dhcore.pose.keypoints import PoseSequence
    from tests import realdata

    realdata.path("basketball")
    photo = realdata.write_photo("arms_in_front", tmp_path / "photo.png")
    ref = (
        extract.STAGE.call(tmp_path / "ref", extract.Params(parts="body"), source=photo).outputs["pose"].path
    )
    pose = PoseSequence.load(ref)
    body = pose.body.copy()
    shoulder = body[0, J["r_shoulder"], :2]
    body[0, J["r_elbow"], :2], body[0, J["r_wrist"], :2] = shoulder + (0, 0.12), shoulder + (0, 0.24)
    pose.replace(body=body).save(tmp_path / "target.npz")
    inputs = AnimateInputs(photo, ref, tmp_path / "target.npz", None, 512, 512, Fraction(10))
    puppet = Puppet.setup(inputs, WarpParams(), PoseSequence.load(tmp_path / "target.npz"))
    assert puppet.held == []
    ball = puppet.rig.layers["l_arm"].texture[..., 3] >= 128
    assert _holes(ball) <= 0.03 * ball.sum(), f"{_holes(ball)} px of hole in the ball's layer"
    core = (puppet.rig.layers["core"].texture[..., 3] >= 128).astype(np.uint8)
    sizes = sorted(cv2.connectedComponentsWithStats(core)[2][1:, 4], reverse=True)
    assert len(sizes) == 1, f"loose pieces of the core: {sizes[1:]}"
    # the right hand's fingers along its stub leave with it: no loose bit of them on the ball
    arm = (puppet.rig.layers["r_arm"].texture[..., 3] >= 128).astype(np.uint8)
    assert cv2.connectedComponents(arm)[0] == 2, "the right arm's layer is in pieces"


def _footballer(tmp_path):
    """The footballer photo (full body, a sliding tackle, arms spread), its pose file and pose, and the
    canvas a spec without a size gives it."""
    from dhcore.pose import extract
    from dhcore.pose.keypoints import PoseSequence
    from dhcore.spec.dance import photo_canvas
    from tests import realdata

    realdata.path("footballer")
    photo = realdata.write_photo("footballer", tmp_path / "photo.png")
    ref = (
        extract.STAGE.call(tmp_path / "ref", extract.Params(parts="body"), source=photo).outputs["pose"].path
    )
    return photo, ref, PoseSequence.load(ref), photo_canvas(extract.read_image(photo).shape[1::-1])


def _posed(tmp_path, photo, ref, target, w: int, h: int) -> tuple[Puppet, np.ndarray]:
    """The photo's puppet on a w x h canvas for a one-frame target pose, and its handle transforms
    in that frame."""
    target.save(tmp_path / "target.npz")
    inputs = AnimateInputs(photo, ref, tmp_path / "target.npz", None, w, h, Fraction(10))
    puppet = Puppet.setup(inputs, WarpParams(), target)
    transforms, _ = puppet.poser(
        target.body[0, :, :2] * (w, h), target.body[0, :, 2] >= WarpParams().confidence
    )
    return puppet, transforms


def _drawn_alone(puppet: Puppet, part: str, transforms: np.ndarray, w: int, h: int) -> np.ndarray:
    """[h, w] bool: the pixels one layer draws, on its own, posed by `transforms`."""
    from dhcore.animate.warp.raster import skin

    key = (255, 0, 255)
    frame = np.zeros((h, w, 4), np.uint8)
    frame[...] = (*key, 255)
    layer = puppet.rig.layers[part]
    puppet.canvas.draw(frame, layer, skin(layer, transforms))
    return np.abs(frame[..., :3].astype(int) - key).max(axis=-1) > 60


def test_a_leg_turned_down_from_a_sliding_tackle_leaves_no_flap_of_shorts_beside_the_hips(tmp_path):
    """The footballer photo: the left leg is stretched sideways, the target turns it down. The
    leg's layer held the shorts' seat and crotch (behind the hip, and beyond the thigh's width
    under it), and the thigh swung them out beside the hips as dark flaps: 439 px of the leg drawn
    farther than 2.5 limb radii from the bones the target asks for."""
    from dhcore.animate.warp.body import distance_to, draw_segments

    photo, ref, pose, (w, h) = _footballer(tmp_path)
    body = pose.body.copy()
    xy = body[0, :, :2] * (w, h)
    hip, knee, ankle = (xy[J[f"l_{n}"]].copy() for n in ("hip", "knee", "ankle"))
    thigh, shin = float(np.hypot(*(knee - hip))), float(np.hypot(*(ankle - knee)))
    knee, ankle = hip + (0, thigh), hip + (0, thigh + shin)  # the leg straight down
    xy[J["l_knee"]], xy[J["l_ankle"]] = knee, ankle
    body[0, :, :2] = xy / (w, h)
    puppet, transforms = _posed(tmp_path, photo, ref, pose.replace(body=body), w, h)
    assert puppet.held == []
    drawn = _drawn_alone(puppet, "l_leg", transforms, w, h)
    bones = [("thigh", hip, knee), ("shin", knee, ankle + 0.2 * (ankle - knee))]  # the foot too
    off = drawn & (distance_to(draw_segments(bones, (h, w), 0) > 0) > 2.5 * puppet.rig.limb_radius["l_leg"])
    assert drawn.sum() >= 2000, "the leg was not drawn"
    assert off.sum() <= 20, f"{off.sum()} px of the leg drawn away from its bones"


def test_arms_lowered_from_the_spread_arms_draw_no_piece_of_shirt_over_the_face(tmp_path):
    """The footballer photo, arms spread: the target lowers both arms to hang by his sides. The
    raised arm's label followed a shirt stripe from the sleeve down the torso's side, and that strip
    swung up with the arm over his face (dance_real's street_full_body: over chin and mouth, dlib
    found no face in 6 of 24 frames): here 218 px of the arm's layer drawn between the ears."""
    photo, ref, pose, (w, h) = _footballer(tmp_path)
    body = pose.body.copy()
    xy = body[0, :, :2] * (w, h)
    for side in ("r", "l"):
        shoulder, elbow, wrist = (xy[J[f"{side}_{n}"]].copy() for n in ("shoulder", "elbow", "wrist"))
        upper, fore = float(np.hypot(*(elbow - shoulder))), float(np.hypot(*(wrist - elbow)))
        xy[J[f"{side}_elbow"]], xy[J[f"{side}_wrist"]] = shoulder + (0, upper), shoulder + (0, upper + fore)
    body[0, :, :2] = xy / (w, h)
    puppet, transforms = _posed(tmp_path, photo, ref, pose.replace(body=body), w, h)
    face = xy[[J[n] for n in ("nose", "r_eye", "l_eye", "r_ear", "l_ear")]]
    (x0, y0), (x1, y1) = np.round(face.min(0)).astype(int), np.round(face.max(0)).astype(int)
    grow = max(x1 - x0, y1 - y0) // 2
    box = (slice(y0 - grow, y1 + grow), slice(x0, x1 + 1))  # between the ears, from the brow to the mouth
    for part in ("r_arm", "l_arm"):
        drawn = _drawn_alone(puppet, part, transforms, w, h)
        assert drawn.sum() >= 500, f"{part} was not drawn"
        assert drawn[box].sum() <= 20, f"{drawn[box].sum()} px of {part} drawn over the face"


def test_an_arm_lowered_from_the_spread_arms_hangs_in_a_sleeve_no_wider_than_the_arm(tmp_path):
    """The footballer photo, arms spread: the target lowers the right arm to hang by his side. Its
    label held the shirt's shoulder top above the raised arm and the cloth under it; turned down with
    the arm, they drew a sleeve flared out like a cape beside the shoulder, and the re-detector put the
    shoulder and the elbow on its edge (dance_real's walker_full_body: r_shoulder PCK 0.54, r_elbow
    0.38): 419 px of it drawn farther than 2.5 arm radii from the bones (now 16). Those pixels are no
    part's: given to the torso, they stuck out beside the hanging arm's shoulder as a stub of sleeve
    (155 px)."""
    from dhcore.animate.warp.body import distance_to, draw_segments

    photo, ref, pose, (w, h) = _footballer(tmp_path)
    body = pose.body.copy()
    xy = body[0, :, :2] * (w, h)
    shoulder, elbow, wrist = (xy[J[f"r_{n}"]].copy() for n in ("shoulder", "elbow", "wrist"))
    upper, fore = float(np.hypot(*(elbow - shoulder))), float(np.hypot(*(wrist - elbow)))
    elbow, wrist = shoulder + (0, upper), shoulder + (0, upper + fore)
    xy[J["r_elbow"]], xy[J["r_wrist"]] = elbow, wrist
    body[0, :, :2] = xy / (w, h)
    puppet, transforms = _posed(tmp_path, photo, ref, pose.replace(body=body), w, h)
    r = puppet.rig.limb_radius["r_arm"]
    drawn = _drawn_alone(puppet, "r_arm", transforms, w, h)
    bones = [("upper", shoulder, elbow), ("fore", elbow, wrist + 0.3 * (wrist - elbow))]  # the hand too
    off = drawn & (distance_to(draw_segments(bones, (h, w), 0) > 0) > 2.5 * r)
    assert drawn.sum() >= 500, "the arm was not drawn"
    assert off.sum() <= 30, f"{off.sum()} px of the lowered arm drawn beside it"
    # beside the shoulder, outward and above where the hanging arm starts, the torso draws no sleeve
    core = _drawn_alone(puppet, "core", transforms, w, h)
    ys, xs = np.mgrid[0:h, 0:w]
    beside = (xs < shoulder[0] - 2 * r) & (np.abs(ys - shoulder[1]) < 2 * r) & ~drawn
    assert (core & beside).sum() <= 30, f"{(core & beside).sum()} px of shirt beside the shoulder"


def _basketball(tmp_path, move, parts: str = "body") -> tuple[Puppet, np.ndarray, np.ndarray, np.ndarray]:
    """The basketball photo's puppet on 288x512 (as dance_real frames it) for one target: the photo's
    pose moved by `move` ([18, 2] pixels -> ([18, 2] pixels, [18] bool seen)). Returns (puppet, the
    photo's joints, the target's joints, their `seen`)."""
    from dhcore.pose import extract
    from dhcore.pose.keypoints import PoseSequence
    from tests import realdata

    realdata.path("basketball")
    photo = realdata.write_photo("arms_in_front", tmp_path / "photo.png")
    ref = extract.STAGE.call(tmp_path / "ref", extract.Params(parts=parts), source=photo).outputs["pose"].path
    w, h = 288, 512
    pose = PoseSequence.load(ref)
    # the photo's joints on the canvas, as the puppet's poser has them (Poser.ref)
    photo_xy = (
        photo_fit(pose.width, pose.height, w, h).to_output_normalized(pose.body[0, :, :2]).astype(np.float64)
    )
    photo_xy *= (w, h)
    xy, seen = move(photo_xy.copy())
    body = pose.body.copy()
    body[0, :, :2], body[0, :, 2] = xy / (w, h), np.where(seen, 1.0, 0.0)
    pose.replace(body=body).save(tmp_path / "target.npz")
    inputs = AnimateInputs(photo, ref, tmp_path / "target.npz", None, w, h, Fraction(10))
    puppet = Puppet.setup(inputs, WarpParams(), PoseSequence.load(tmp_path / "target.npz"))
    return puppet, photo_xy, xy, seen


def _placed(layer, w: int = 288, h: int = 512) -> np.ndarray:
    """[h, w, 4] a layer's texture where it lies in the photo (unposed)."""
    canvas = np.zeros((h, w, 4), np.uint8)
    x0, y0 = np.round(layer.origin).astype(int)
    t = layer.texture
    ys, xs = slice(max(0, y0), min(h, y0 + t.shape[0])), slice(max(0, x0), min(w, x0 + t.shape[1]))
    canvas[ys, xs] = t[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    return canvas


def test_an_arm_the_target_never_shows_keeps_the_ball_in_front_of_the_chest(tmp_path):
    """dance_real's walker_arms_front: a walker seen from the side shows one arm, its shoulder line
    tilted ~40 degrees. The ball arm, never shown, turned with its clavicle (neck to shoulder): the
    ball and the left forearm went over the head (here the left wrist 19 px above its shoulder,
    12 px below it in the photo)."""
    from dhcore.animate.warp.skeleton import HANDLE_INDEX

    def walker(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        seen = np.isfinite(xy).all(axis=1)
        seen[[J["l_elbow"], J["l_wrist"]]] = False
        neck = xy[J["neck"]]
        t = np.deg2rad(-40.0)  # the far shoulder up, the near one down: the shoulder line tilted
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        for name in ("r_shoulder", "l_shoulder"):
            xy[J[name]] = neck + 0.6 * rot @ (xy[J[name]] - neck)  # narrower, as seen from the side
        shoulder = xy[J["r_shoulder"]]
        xy[J["r_elbow"]], xy[J["r_wrist"]] = shoulder + (0, 60), shoulder + (0, 120)  # the seen arm hangs
        return xy, seen

    puppet, photo_xy, xy, seen = _basketball(tmp_path, walker)
    transforms, _ = puppet.poser(np.nan_to_num(xy), seen)
    forearm = transforms[HANDLE_INDEX["l_forearm"]]
    wrist = forearm[:, :2] @ photo_xy[J["l_wrist"]] + forearm[:, 2]
    # below its shoulder as far as in the photo, give or take the torso's turn
    below = wrist[1] - xy[J["l_shoulder"], 1]
    photo_below = photo_xy[J["l_wrist"], 1] - photo_xy[J["l_shoulder"], 1]
    assert below >= photo_below - 10, f"the ball hand rose {photo_below - below:.0f} px above its shoulder"
    # the arm keeps its place on the body: its shoulder goes where the clavicle puts it
    upper = transforms[HANDLE_INDEX["l_upper_arm"]]
    clavicle = transforms[HANDLE_INDEX["l_clavicle"]]
    shoulder = photo_xy[J["l_shoulder"]]
    np.testing.assert_allclose(
        upper[:, :2] @ shoulder + upper[:, 2], clavicle[:, :2] @ shoulder + clavicle[:, 2]
    )


def test_a_forearm_moved_off_the_chest_leaves_no_outline_of_it_on_the_shirt(tmp_path):
    """The basketball photo: the right forearm lies across the dark shirt. Its lit lower edge fell to
    the torso's layer by a pixel or two and stayed on the shirt as a bright V (69 px brighter than
    the shirt by 30 grey levels; 71 px) when the arm moved away; the pose re-detector read it as the arm."""
    puppet, photo_xy, _, _ = _basketball(tmp_path, lambda xy: (xy, np.isfinite(xy).all(axis=1)))
    core, arm = _placed(puppet.rig.layers["core"]), _placed(puppet.rig.layers["r_arm"])
    torso = np.zeros((512, 288), np.uint8)
    corners = photo_xy[[J["r_shoulder"], J["l_shoulder"], J["l_hip"], J["r_hip"]]]
    cv2.fillConvexPoly(torso, np.round(corners).astype(np.int32), 1)
    grey = core[..., :3].mean(axis=-1)
    shirt = float(np.median(grey[(torso > 0) & (core[..., 3] >= 250) & (arm[..., 3] == 0)]))
    # the forearm's own pixels and 3 px around them (not the upper arm: the sleeve's shoulder is lit)
    forearm = np.zeros((512, 288), np.uint8)
    elbow, wrist = (tuple(int(v) for v in np.round(photo_xy[J[n]])) for n in ("r_elbow", "r_wrist"))
    cv2.line(forearm, elbow, wrist, 1, max(1, round(3 * puppet.rig.limb_radius["r_arm"])))
    under = cv2.dilate(((arm[..., 3] >= 128) & (forearm > 0)).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    zone = under & (torso > 0) & (core[..., 3] >= 250)
    assert zone.sum() >= 1000, "the right forearm does not lie over the torso"
    bright = int((grey[zone] > shirt + 30).sum())
    assert bright <= 30, f"{bright} px of the forearm's outline left on the shirt"


def test_the_face_layers_soft_outline_carries_no_background(tmp_path):
    """The basketball photo: dark hair against a light door. The person mask's soft edge mixes the
    door in; the face layer (from the 68 face landmarks, drawn over the torso and moved with the
    head) carried that mix as a light fringe wherever it went (12 of its 378 soft-edge px lighter
    than every face pixel near them). Its soft outline holds the face's own colours."""
    puppet, _, _, _ = _basketball(tmp_path, lambda xy: (xy, np.isfinite(xy).all(axis=1)), parts="all")
    texture = puppet.rig.layers["face"].texture
    alpha, grey = texture[..., 3], texture[..., :3].astype(np.float32).mean(axis=-1)
    solid = alpha >= 250
    brightest = cv2.dilate(np.where(solid, grey, 0).astype(np.float32), np.ones((9, 9), np.uint8))
    soft = (alpha > 25) & ~solid & (brightest > 0)
    assert soft.sum() >= 100, "the face layer has no soft outline"
    fringe = int((soft & (grey > brightest + 25)).sum())
    assert fringe <= 2, f"{fringe} of {soft.sum()} soft-edge px of the face lighter than the face"


def _hang_right_arm(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The walker's pose on the basketball photo: the right arm hangs straight down, the left one
    (the ball's) is not shown."""
    seen = np.isfinite(xy).all(axis=1)
    seen[[J["l_elbow"], J["l_wrist"]]] = False
    shoulder = xy[J["r_shoulder"]].copy()
    xy[J["r_elbow"]], xy[J["r_wrist"]] = shoulder + (0, 60), shoulder + (0, 120)
    return xy, seen


def test_the_right_arm_lowered_from_the_ball_is_a_forearm_and_leaves_no_strip_on_the_ball_arm(tmp_path):
    """The basketball photo, driven like dance_real's walker_arms_front: the right arm hangs down,
    the left hand keeps the ball. Where the left hand had lain over the right wrist, the right arm's
    layer was filled a silhouette's width, not the forearm's: it hung down with a flat pale club at
    the wrist (28 px wide, 17-22 near the elbow). Where the right forearm had lain over the left arm,
    the left arm's layer kept a pale glassy strip outlined by the forearm's lit edge (484 px brighter
    than the sleeve by 40 grey levels), which the re-detector took for the right forearm at the ball."""
    puppet, photo_xy, xy, seen = _basketball(tmp_path, _hang_right_arm)
    assert puppet.held == []
    transforms, _ = puppet.poser(np.nan_to_num(xy), seen)
    arm = _drawn_alone(puppet, "r_arm", transforms, 288, 512)
    elbow, wrist = xy[J["r_elbow"]], xy[J["r_wrist"]]
    # the forearm's width across it (the arm hangs straight down: a row), from 20% to 80% of its length:
    # no wider towards the wrist than near the elbow
    widths = [int(arm[int(round(y)), :].sum()) for y in np.linspace(elbow[1], wrist[1], 11)[2:9]]
    assert min(widths) >= 6, f"the hanging forearm has a gap: widths {widths}"
    assert np.mean(widths[3:]) <= 1.15 * max(widths[:3]), f"a club at the wrist: widths {widths}"

    # the ball arm's texture over the right forearm's place in the photo: sleeve and shirt, no pale strip
    canvas = _placed(puppet.rig.layers["l_arm"])
    forearm, r = np.zeros((512, 288), np.uint8), puppet.rig.limb_radius["r_arm"]
    a, b = (photo_xy[J[n]] for n in ("r_elbow", "r_wrist"))
    cv2.line(forearm, tuple(int(v) for v in np.round(a)), tuple(int(v) for v in np.round(a + 0.85 * (b - a))), 1,
             max(1, round(r)))  # fmt: skip
    grey = canvas[..., :3].astype(np.float32).mean(axis=-1)
    over = (forearm > 0) & (canvas[..., 3] >= 128)
    # the sleeve: the layer's dark pixels (the ball and the skin are light)
    sleeve = float(np.median(grey[(canvas[..., 3] >= 250) & (forearm == 0) & (grey < 90)]))
    bright = int((grey[over] > sleeve + 40).sum())
    assert bright <= 120, f"{bright} px of the right forearm left pale on the ball arm's layer"


def test_the_hanging_right_forearm_has_a_smooth_outline(tmp_path):
    """dance_real's walker_arms_front, frame 8: the right arm hangs down. The outline of its layer (the
    watershed's edge against the left hand and the zone that hand hid) had notches and spurs that,
    turned with the forearm, drew it as a torn strip: 0.84 of its convex hull filled, 0.90 now."""
    puppet, _, xy, seen = _basketball(tmp_path, _hang_right_arm)
    transforms, _ = puppet.poser(np.nan_to_num(xy), seen)
    arm = _drawn_alone(puppet, "r_arm", transforms, 288, 512)
    arm[: int(xy[J["r_elbow"], 1]) + 5] = False  # the forearm and the hand
    contours, _ = cv2.findContours(arm.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = max(contours, key=cv2.contourArea)
    solidity = cv2.contourArea(outline) / cv2.contourArea(cv2.convexHull(outline))
    assert solidity >= 0.88, f"the hanging forearm fills {solidity:.2f} of its convex hull"


def _fold_right_arm(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """walker_arms_front's frame 16: the right forearm folded up to the shoulder, the left arm not shown."""
    seen = np.isfinite(xy).all(axis=1)
    seen[[J["l_elbow"], J["l_wrist"]]] = False
    shoulder = xy[J["r_shoulder"]].copy()
    xy[J["r_elbow"]], xy[J["r_wrist"]] = shoulder + (-5, 45), shoulder + (-10, 0)
    return xy, seen


def test_the_folded_right_arm_draws_no_thin_lines_round_it(tmp_path):
    """The folded arm's mesh lies over itself; the backward map, upsampled from half resolution, blended
    two far-apart texture points where triangles of different places met and read the forearm's skin
    between them: thin bright lines round the arm (83 px a 3x3 opening removes, 10 now)."""
    puppet, _, xy, seen = _basketball(tmp_path, _fold_right_arm)
    transforms, _ = puppet.poser(np.nan_to_num(xy), seen)
    arm = _drawn_alone(puppet, "r_arm", transforms, 288, 512)
    solid = cv2.morphologyEx(arm.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)) > 0
    thin = int((arm & ~solid).sum())
    assert arm.sum() >= 1500 and thin <= 20, f"{thin} px of thin lines among {arm.sum()} drawn"


def test_the_ball_keeps_no_holes_where_the_right_fingers_lay(tmp_path):
    """dance_real's walker_arms_front: the right arm hangs down, the left hand keeps the ball. The right
    fingers spread over the ball were filled with the ball's colours only where the ball's pixels
    enclosed them both ways across: the ball arm's layer kept two holes there (108 px in all), rimmed
    with the fingers' lit pixels, a row of pale squares on the ball when the arm hung down. What is
    left (10 px) are specks where the person mask is not solid on the motion-blurred ball."""
    puppet, _, _, _ = _basketball(tmp_path, _hang_right_arm)
    ball = puppet.rig.layers["l_arm"].texture[..., 3] >= 128
    assert _holes(ball) <= 20, f"{_holes(ball)} px of hole in the ball's layer"


def test_the_right_forearm_in_front_of_the_left_arm_keeps_its_own_pixels_up_to_the_wrist(tmp_path):
    """The basketball photo: the right forearm lies in front of the left upper arm. Where their widths
    cross, each pixel went to the arm whose colour it had, and the forearm's shaded edges were nearer
    the left arm's (sleeve and skin) than the lit forearm's: the left arm took 0.30 of the forearm's
    skin over its last 40% before the wrist, and the right arm's layer showed the photo's own pixels
    on only 0.38 of it, the rest its colours diffused flat (0.65 now, the rest the fill's seam along
    the left hand: the left arm, behind, leaves the crossing to the watershed, which stops at the
    forearm's outline). The ball stays with the left hand."""
    from dhcore.media.geometry import photo_fit
    from dhcore.pose.extract import read_image

    puppet, photo_xy, _, _ = _basketball(tmp_path, _hang_right_arm)
    photo = read_image(tmp_path / "photo.png")
    photo = photo_fit(photo.shape[1], photo.shape[0], 288, 512).apply(photo).astype(np.float32)
    arm = _placed(puppet.rig.layers["r_arm"]).astype(np.float32)
    elbow, wrist = photo_xy[J["r_elbow"]], photo_xy[J["r_wrist"]]
    length = float(np.hypot(*(wrist - elbow)))
    axis = (wrist - elbow) / length
    yy, xx = np.mgrid[0:512, 0:288]
    along = ((xx - elbow[0]) * axis[0] + (yy - elbow[1]) * axis[1]) / length
    across = np.abs((xx - elbow[0]) * axis[1] - (yy - elbow[1]) * axis[0])
    # the forearm's skin (lit, on the dark shirt and sleeve) over its last 40% before the wrist
    skin = (along >= 0.6) & (along < 1.0) & (across <= 14) & (photo.mean(axis=-1) > 90)
    assert skin.sum() >= 300, "the right forearm is not where the photo's pose puts it"
    shown = (arm[..., 3] >= 250) & (np.abs(arm[..., :3] - photo).max(axis=-1) <= 2)
    share = float(shown[skin].mean())
    assert share >= 0.55, f"the right arm's layer shows {share:.2f} of the forearm's own pixels by the wrist"
    # the ball, above the hands: the left arm's
    left = _placed(puppet.rig.layers["l_arm"])[..., 3] >= 250
    hands = (photo_xy[J["r_wrist"]] + photo_xy[J["l_wrist"]]) / 2
    ball = (np.abs(xx - hands[0]) <= 20) & (yy >= hands[1] - 60) & (yy <= hands[1] - 20)
    assert left[ball].mean() >= 0.9, f"the left arm's layer holds {left[ball].mean():.2f} of the ball"
