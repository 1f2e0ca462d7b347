"""The photo-shoot demo's inputs, made by code from photos that ship inside installed packages.

Identity: matplotlib's grace_hopper.jpg plus three variants made here (mirrored, a tighter
crop, brighter): what a person's "few photos" would add, and the tests check they still embed
as one person. Templates: skimage's astronaut and the six faces of insightface's t1.jpg, each
cut out as its own 4:5 portrait. t1.jpg is not used whole: its faces are ~100 px in a 1280 px
group photo, so cover-fitted to a 512 px portrait each would be ~60 px (too small to look like
a portrait, and under the size dlib's HOG detector finds at native scale); one crop per face
also gives the demo six looks instead of one. Music: the demo beat, long enough for a
20-second video portrait.

Files are written only when missing (atomically), so a second run changes nothing and the
demo spec's hash and cache stay the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import cv2
import numpy as np

from dhcore.demo.assets import astronaut, grace_hopper, png_writer, write_once
from dhcore.demo.beat import write_beat

#: face box width -> portrait crop (4:5); the face's centre sits at FACE_Y of the crop's height
CROP_WIDTH, CROP_ASPECT, FACE_Y = 2.6, 1.25, 0.42
MUSIC_SECONDS = 24.0


class ShootAssets(TypedDict):
    identity: list[Path]  # grace_hopper first: photo 0 defines the person
    templates: dict[str, Path]  # look name -> template photo
    music: Path


def t1_photo() -> np.ndarray:
    import insightface

    path = Path(insightface.__file__).parent / "data" / "images" / "t1.jpg"
    data = np.fromfile(path, dtype=np.uint8)
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def identity_variants(photo: np.ndarray) -> dict[str, np.ndarray]:
    """The identity photos: the original, mirrored, a tighter crop (70 %), 15 % brighter."""
    h, w = photo.shape[:2]
    ch, cw = int(h * 0.7), int(w * 0.7)
    y0, x0 = int(h * 0.1), (w - cw) // 2
    bright = np.clip(photo.astype(np.float32) * 1.15 + 8.0, 0, 255).astype(np.uint8)
    return {
        "hopper": photo,
        "hopper_mirrored": np.ascontiguousarray(photo[:, ::-1]),
        "hopper_crop": np.ascontiguousarray(photo[y0 : y0 + ch, x0 : x0 + cw]),
        "hopper_bright": bright,
    }


def face_crops(photo: np.ndarray) -> list[np.ndarray]:
    """One 4:5 portrait per face dlib finds, left to right, the face centred and ~38 % of the width."""
    from dhcore.shoot.faces import shared_analyzer

    faces = sorted(shared_analyzer("dlib").detect(photo), key=lambda f: float(f.box[0]))
    h, w = photo.shape[:2]
    crops = []
    for face in faces:
        cw = min(w, int(round(face.size * CROP_WIDTH)))
        ch = min(h, int(round(cw * CROP_ASPECT)))
        cx, cy = (face.box[:2] + face.box[2:]) / 2
        x0 = int(np.clip(round(cx - cw / 2), 0, w - cw))
        y0 = int(np.clip(round(cy - FACE_Y * ch), 0, h - ch))
        crops.append(np.ascontiguousarray(photo[y0 : y0 + ch, x0 : x0 + cw]))
    return crops


def write_shoot_assets(folder: Path) -> ShootAssets:
    """Identity photos, template portraits and music in `folder` (written only when missing)."""
    folder = Path(folder)
    (folder / "identity").mkdir(parents=True, exist_ok=True)
    (folder / "templates").mkdir(parents=True, exist_ok=True)
    hopper = None
    identity = []
    for name in ("hopper", "hopper_mirrored", "hopper_crop", "hopper_bright"):
        path = folder / "identity" / f"{name}.png"
        if not path.exists():
            hopper = hopper if hopper is not None else identity_variants(grace_hopper())
            write_once(path, png_writer(hopper[name]))
        identity.append(path)
    templates = {"astronaut": write_once(folder / "templates" / "astronaut.png", png_writer(astronaut()))}
    names = [f"t1_face{i}" for i in range(6)]
    if not all((folder / "templates" / f"{n}.png").exists() for n in names):
        crops = face_crops(t1_photo())
        if len(crops) != len(names):  # pragma: no cover - a different t1.jpg or dlib build
            raise RuntimeError(f"t1.jpg: expected {len(names)} faces, dlib found {len(crops)}")
        for name, crop in zip(names, crops, strict=True):
            write_once(folder / "templates" / f"{name}.png", png_writer(crop))
    templates.update({n: folder / "templates" / f"{n}.png" for n in names})
    music = write_once(folder / "music.wav", lambda p: write_beat(p, seconds=MUSIC_SECONDS))
    return {"identity": identity, "templates": templates, "music": music}
