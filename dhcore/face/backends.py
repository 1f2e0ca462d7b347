"""Face analyzers, restorers and refiners by name (dhcore.backends); the spec's Literal names are
checked against these tables by a test.

How each family builds an implementation:
- analyzers: `Class(*folders)`, one resolved model folder per model id (dhcore.face.faces.load_analyzer);
- restorers: `Class.open(name, params, reference, folders)` (dhcore.face.restorers.load_restorer);
- refiners: `Class.open(params, reference, analyzer, models_root)` (dhcore.face.refine).
"""

from __future__ import annotations

from dhcore.backends import Backend, Table
from dhcore.face.params import IdentityParams, RefineParams
from dhcore.models import ids

#: an analyzer whose embeddings are ArcFace's (what inswapper takes as its source latent)
ARCFACE = "arcface_embeddings"

ANALYZERS = Table(
    "face",
    Backend("dlib", "dhcore.face.dlib_backend:DlibAnalyzer"),
    Backend("mediapipe", "dhcore.face.mediapipe_backend:MediaPipeAnalyzer"),
    Backend("insightface", "dhcore.face.insightface_backend:InsightFaceAnalyzer", model_ids=(ids.BUFFALO_L,),
            capabilities=frozenset({ARCFACE})),
)  # fmt: skip
RESTORERS = Table(
    "face restore",
    Backend("classical", "dhcore.face.restorers:ClassicalRestorer"),
    Backend("gfpgan", "dhcore.face.restorers:OnnxRestorer", model_ids=(ids.GFPGAN,)),
    Backend("codeformer", "dhcore.face.restorers:OnnxRestorer", model_ids=(ids.CODEFORMER,)),
)
REFINERS = Table(
    "face refine",
    Backend("landmark_swap", "dhcore.face.refine:LandmarkRefiner"),
    Backend("inswapper", "dhcore.face.refine:InswapperRefiner", model_ids=(ids.INSWAPPER,),
            capabilities=frozenset({"needs_" + ARCFACE})),
)  # fmt: skip


def restorer_model_ids(backend: str) -> list[str]:
    return list(RESTORERS[backend].model_ids) if backend in RESTORERS else []  # "none": no restorer


def refiner_model_ids(params: RefineParams, identity: IdentityParams) -> list[str]:
    """Registry ids whose weights change the refine stage's output: a refiner that needs an ArcFace
    source embedding also reads insightface's ArcFace unless the identity analyzer gives one."""
    if params.backend not in REFINERS:
        return []
    entry = REFINERS[params.backend]
    arcface = (
        "needs_" + ARCFACE in entry.capabilities and ARCFACE not in ANALYZERS[identity.backend].capabilities
    )
    return [*entry.model_ids, *([ids.BUFFALO_L] if arcface else [])]
