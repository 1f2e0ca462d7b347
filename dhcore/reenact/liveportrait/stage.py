"""face_reenact.liveportrait: the source face driven by the driving video through LivePortrait.

MediaPipe's face mesh (in place of the release's insightface detector) boxes the face in the source
photo and in every driving frame (the driver's meshes One-Euro smoothed, so the crops do not shake);
each crop goes to the model at its input size, the source's keypoints move by the driver's change
since its first frame (relative mode), the stitching MLP nudges them to line up with the photo, and the generated face is pasted back into the source photo
under a feathered mask, so the frames keep the photo's size like the mesh backend's.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from dhcore.facemesh.landmarks import one_face
from dhcore.facemesh.one_euro import one_euro
from dhcore.media.frames import FrameWriter, iter_frames, probe
from dhcore.models import ids
from dhcore.pose.extract import read_image
from dhcore.reenact.params import Params as Motion
from dhcore.reenact.render import driver_track
from dhcore.stage import Device, InputValue, Output, StageContext, StageDef, StageResult, port

NAME = "face_reenact.liveportrait"
VERSION = "1"
#: the crop's side over the mesh's larger extent, and how far its centre sits above the mesh's (of the side)
CROP_SCALE, CROP_LIFT = 2.0, 0.08


class Params(Motion):
    #: registry id of the release folder (dh models add liveportrait FOLDER)
    model: Literal["liveportrait"] = ids.LIVEPORTRAIT
    #: auto: the GPU when there is one; cpu pins the run (and its deployment) to the CPU
    device: Device = "auto"
    #: the release's stitching MLP on the driving keypoints (its relative mode's default): the pasted
    #: face lines up with the photo around it
    stitching: bool = True


def _device(params: Params) -> Device:
    return params.device


STAGE = StageDef(
    NAME,
    VERSION,
    Params,
    inputs=(port("source", "image"), port("driver", "video")),
    outputs=(port("frames", "frames"),),
    impl="dhcore.reenact.liveportrait.stage:run",
    model_ids=lambda p: [p.model],
    device=_device,
    backend="liveportrait",
)


def crop_matrix(points: np.ndarray, size: int) -> np.ndarray:
    """2x3 affine taking the face's square box (from its mesh, pixels) onto a size x size crop."""
    xy = points[:, :2].astype(np.float64)
    lo, hi = xy.min(0), xy.max(0)
    side = CROP_SCALE * float((hi - lo).max())
    cx, cy = (lo + hi) / 2 - (0.0, CROP_LIFT * side)
    k = size / side
    return np.array([[k, 0.0, size / 2 - k * cx], [0.0, k, size / 2 - k * cy]])


def crop(image: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    return cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)


def feather(size: int) -> np.ndarray:
    """[size, size] float weights: 1 inside, falling to 0 over the crop's outer eighth."""
    ramp = np.clip(np.minimum(np.arange(size), np.arange(size)[::-1]) / (size / 8), 0, 1)
    return np.minimum.outer(ramp, ramp).astype(np.float32)


def paste(photo: np.ndarray, face: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """The generated crop (any square size) put back where `matrix` took the source's crop from."""
    h, w = photo.shape[:2]
    scale = face.shape[0] / size
    back = cv2.invertAffineTransform(matrix * np.array([[scale], [scale]]))
    placed = cv2.warpAffine(face, back, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    weight = cv2.warpAffine(feather(face.shape[0]), back, (w, h), flags=cv2.INTER_LINEAR)[..., None]
    return (placed * weight + photo * (1 - weight)).round().clip(0, 255).astype(np.uint8)


def _tensor(crops: list[np.ndarray], model: object) -> object:
    import torch

    first = next(model.parameters())  # type: ignore[attr-defined]
    batch = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2)
    return (batch.to(first.device, first.dtype) / 255.0).contiguous()


def _image(x: object) -> np.ndarray:
    return (x.float().clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).cpu().numpy()  # type: ignore[attr-defined]


def _load(folder: Path, device: str) -> object:
    from dhcore.reenact.liveportrait.weights import load

    return load(folder, device)


def run(inputs: dict[str, InputValue], params: Params, out_dir: Path, ctx: StageContext) -> StageResult:
    """Render the source face performing the driver's motion with LivePortrait."""
    import torch

    from dhcore.models.registry import resolve
    from dhcore.reenact.liveportrait import motion
    from dhcore.reenact.liveportrait.stitching import stitch
    from dhcore.tryon.fashn.stage import torch_device

    source_path, driver_path = Path(inputs["source"]), Path(inputs["driver"])
    photo = read_image(source_path)
    source_mesh = one_face(photo, str(source_path))
    info = probe(driver_path)
    meshes, missing = driver_track(driver_path)
    smooth = one_euro(meshes, float(info.fps), params.smoothing_cutoff, params.smoothing_beta)
    folder, device = resolve(params.model, ctx.models_root), torch_device(params.device)
    model = ctx.pool.get((NAME, str(folder), device), lambda: _load(folder, device), slot=NAME)
    size = model.config.size  # type: ignore[attr-defined]
    box = crop_matrix(source_mesh, size)
    h, w = photo.shape[:2]
    out_path = out_dir / "frames.nut"
    with torch.inference_mode(), FrameWriter(out_path, info.fps or Fraction(25), w, h) as writer:
        image = _tensor([crop(photo, box, size)], model)
        volume = model.appearance_feature_extractor(image)  # type: ignore[attr-defined]
        source = motion.extract(model.motion_extractor, image)  # type: ignore[attr-defined]
        kp_source = motion.own(source)
        first, done = None, 0
        for chunk in iter_frames(driver_path):
            crops = [crop(f, crop_matrix(smooth[min(done + i, len(smooth) - 1)], size), size)
                     for i, f in enumerate(chunk)]  # fmt: skip
            now = motion.extract(model.motion_extractor, _tensor(crops, model))  # type: ignore[attr-defined]
            if first is None:
                first = {k: v[:1] for k, v in now.items()}
            for i in range(len(crops)):
                one = {k: v[i : i + 1] for k, v in now.items()}
                kp = motion.relative(source, first, one, params.expression, params.head_motion)
                if params.stitching:
                    kp = stitch(model.retargeting["retarget_shoulder"], kp_source, kp)  # type: ignore[attr-defined]
                feature = model.warping_module(volume, kp, kp_source)  # type: ignore[attr-defined]
                face = _image(model.spade_generator(feature))[0]  # type: ignore[attr-defined]
                writer.write(paste(photo, face, box, size))
            done += len(crops)
            ctx.progress(done, len(smooth))
    return StageResult(
        outputs={"frames": Output(path=out_path, kind="frames", meta={"frames": done})},
        metrics={"driver_frames_without_face": float(missing)},
        frames=done,
    )
