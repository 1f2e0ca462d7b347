"""`dh models list | add ID PATH | verify [ID...]`: the local model registry."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from dhcore import config
from dhcore.errors import ModelError
from dhcore.models import registry


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("models", help="list, add and verify local model weights")
    msub = p.add_subparsers(dest="models_command", required=True)
    ls = msub.add_parser("list", help="declared models and whether they are installed")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.set_defaults(handler=handle_list)
    add = msub.add_parser("add", help="copy a model file (or folder) into DH_MODELS_DIR and pin its sha256")
    add.add_argument("model_id", help="a declared model id (see `dh models list`)")
    add.add_argument("path", type=Path, help="the weights file or release folder to copy in")
    add.set_defaults(handler=handle_add)
    ver = msub.add_parser("verify", help="re-hash installed models against their pinned sha256")
    ver.add_argument("model_ids", nargs="*", help="model ids to check (default: every installed one)")
    ver.set_defaults(handler=handle_verify)


def _installed(spec: registry.ModelSpec) -> bool:
    folder = registry.model_dir(spec.id)
    return all((folder / f).is_file() for f in spec.files)


def handle_list(args: argparse.Namespace) -> int:
    import dhcore.models.known  # noqa: F401  (declares the model set)

    rows = [
        {
            "id": s.id,
            "installed": _installed(s),
            "files": list(s.files),
            "format": s.format,
            "license": s.license,
            "commercial": s.commercial,
            "source": s.source,
            "path": str(registry.model_dir(s.id)),
            "public_sha256_known": bool(s.sha256),
        }  # fmt: skip
        for s in sorted(registry.REGISTRY.values(), key=lambda s: s.id)
    ]
    if args.json:
        print(json.dumps({"models_dir": str(config.models_dir()), "models": rows}, indent=2))
        return 0
    print(f"models dir: {config.models_dir()}")
    for r in rows:
        mark = "installed" if r["installed"] else "missing  "
        use = "commercial    " if r["commercial"] else "NON-COMMERCIAL"
        print(f"{r['id']:<28} {mark} {r['format']:<12} {use} {r['license']}  <- {r['source']}")
    return 0


def handle_add(args: argparse.Namespace) -> int:
    dest = registry.add(args.model_id, args.path)
    digests = registry.verify(args.model_id)
    for rel, digest in digests.items():
        print(f"{args.model_id}: {dest / rel} sha256 {digest}")
    return 0


def handle_verify(args: argparse.Namespace) -> int:
    import dhcore.models.known  # noqa: F401  (declares the model set)

    ids = args.model_ids or [s.id for s in registry.REGISTRY.values() if _installed(s)]
    failed = 0
    for model_id in ids:
        try:
            registry.verify(model_id, force=True)
            print(f"{model_id}: ok")
        except ModelError as exc:
            failed += 1
            print(f"{model_id}: {exc}")
    return 1 if failed else 0
