"""Photo-shoot generation backends by spec name (`backend: ...`).

Each implements `dhcore.shoot.base.ShootBackend`. Importing this package loads torch;
diffusers and transformers load on the first generate (or load_*) call.
"""

from __future__ import annotations

from dhcore.shoot.backends.arc2face import Arc2FaceBackend
from dhcore.shoot.backends.cosmicman import CosmicManBackend
from dhcore.shoot.backends.template_swap import TemplateSwapBackend
from dhcore.shoot.base import ShootBackend

BACKENDS: dict[str, type[ShootBackend]] = {
    "template_swap": TemplateSwapBackend,  # embedded: the face stack, no model download
    "arc2face": Arc2FaceBackend,
    "cosmicman": CosmicManBackend,
}
