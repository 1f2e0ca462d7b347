"""Shared fixtures of the photo-shoot tests: the demo's inputs (Grace Hopper and variants, the
astronaut and t1.jpg face templates) written once per session, and Hopper's identity embedding."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from dhcore.demo.shoot_assets import ShootAssets, write_shoot_assets
from dhcore.shoot import identity


@pytest.fixture(scope="session")
def shoot_assets(tmp_path_factory: pytest.TempPathFactory) -> ShootAssets:
    return write_shoot_assets(tmp_path_factory.mktemp("shoot_demo"))


@pytest.fixture(scope="session")
def hopper_identity(shoot_assets: ShootAssets, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """identity.npy of the four Hopper photos (dlib)."""
    result = identity.STAGE.call(tmp_path_factory.mktemp("identity"), photo=list(shoot_assets["identity"]))
    return result.outputs["embedding"].path


@pytest.fixture(scope="session")
def faceless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A photo-sized image with no face: a smooth gradient with some shapes."""
    image = np.zeros((320, 256, 3), np.uint8)
    image[..., 0] = np.linspace(40, 220, 256, dtype=np.uint8)[None, :]
    image[..., 2] = np.linspace(200, 60, 320, dtype=np.uint8)[:, None]
    cv2.rectangle(image, (40, 60), (200, 120), (250, 250, 250), -1)
    cv2.circle(image, (128, 220), 50, (30, 120, 30), -1)
    path = tmp_path_factory.mktemp("faceless") / "landscape.png"
    cv2.imwrite(str(path), image[:, :, ::-1])
    return path
