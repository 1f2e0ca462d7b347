"""The reenactment flow: walks the plan of dhcore.plans.face_reenact, every step catalogued.

spec -> source, driver -> face_reenact.mesh -> assemble -> face_reenact.figures -> quality gates
"""

from __future__ import annotations

from typing import Any

from dhcore.plans.face_reenact import plan_face_reenact, production_metrics, verdict
from dhcore.submission import Submission
from flows.production_flow import production_flow
from flows.walk import produce


@production_flow("face-reenact")
def face_reenact(
    spec_path: str | None = None, production_id: str | None = None, submitted: Submission | None = None
) -> dict[str, Any]:
    """`spec_path` on this host, or a spec `submitted` from another (dh submit)."""
    return produce(spec_path, production_id, plan_face_reenact, production_metrics, verdict, submitted)
