"""`dh demo`: write the offline demo inputs next to the example specs."""

from __future__ import annotations

import argparse
from pathlib import Path

from dhcore.demo.assets import write_dance_assets
from dhcore.demo.face_assets import write_face_assets
from dhcore.demo.faceswap_assets import write_faceswap_assets
from dhcore.demo.shoot_assets import write_shoot_assets
from dhcore.demo.tryon_assets import write_tryon_assets

EXAMPLES = Path(__file__).resolve().parents[2] / "specs" / "examples"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="generate the demo inputs (photos, dance, beat) under specs/examples/assets"
    )
    p.add_argument("--out", type=Path, default=EXAMPLES / "assets", help="folder to write them to")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    for name, path in write_dance_assets(args.out).items():
        print(f"{name}: {path}")
    shoot = write_shoot_assets(args.out / "shoot")
    print(f"identity photos: {', '.join(str(p) for p in shoot['identity'])}")
    print(f"templates: {', '.join(str(p) for p in shoot['templates'].values())}")
    print(f"music: {shoot['music']}")
    for name, path in write_tryon_assets(args.out / "tryon").items():
        print(f"try-on {name}: {path}")
    for name, path in write_faceswap_assets(args.out / "faceswap").items():
        print(f"face-swap {name}: {path}")
    for name, path in write_face_assets(args.out / "face").items():
        print(f"face {name}: {path}")
    return 0
