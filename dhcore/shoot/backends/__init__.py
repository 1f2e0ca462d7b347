"""Photo-shoot generation backends by spec name (`backend: ...`).

Each implements `dhcore.shoot.base.ShootBackend`. Importing this package loads torch;
diffusers and transformers load on the first generate (or load_*) call.
"""

from __future__ import annotations

from dhcore.shoot.backends.arc2face import Arc2FaceBackend
from dhcore.shoot.backends.cosmicman import CosmicManBackend
from dhcore.shoot.base import ShootBackend

BACKENDS: dict[str, type[ShootBackend]] = {
    # "template_swap": the embedded face-stack backend (added by the photo-shoot flow's owner)
    "arc2face": Arc2FaceBackend,
    "cosmicman": CosmicManBackend,
}
