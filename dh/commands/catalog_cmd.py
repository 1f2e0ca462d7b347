"""`dh catalog list | show ID | lineage ID`, each with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dhcore.catalog.repo import Catalog


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="productions, assets, lineage and metrics in the catalog")
    csub = p.add_subparsers(dest="catalog_command", required=True)
    ls = csub.add_parser("list", help="recent productions")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=handle_list)
    show = csub.add_parser("show", help="one production: inputs, assets, stages, metrics")
    show.add_argument("production_id", help="production id (a unique prefix is enough)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=handle_show)
    lin = csub.add_parser("lineage", help="what a production's outputs (or an asset) were made from")
    lin.add_argument("id", help="production id (or prefix), or asset:N")
    lin.add_argument("--json", action="store_true")
    lin.set_defaults(handler=handle_lineage)


def _resolve(catalog: Catalog, prefix: str) -> str | None:
    try:
        return catalog.resolve_production_id(prefix)
    except KeyError as exc:
        print(f"dh: {exc.args[0]}", file=sys.stderr)
        return None


def handle_list(args: argparse.Namespace) -> int:
    rows = Catalog().list_productions(args.limit)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['production_id']}  {r['status']:<9}  {r['created_at'][:19]}  {r['name']}")
    if not rows:
        print("no productions yet")
    return 0


def handle_show(args: argparse.Namespace) -> int:
    catalog = Catalog()
    pid = _resolve(catalog, args.production_id)
    if pid is None:
        return 1
    info = catalog.show_production(pid)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print(f"production {info['production_id']}  '{info['name']}'  {info['status']}")
    if info["error"]:
        print(f"  error: {info['error']}")
    print(f"  spec: {info['spec']['source_path']} (sha256 {info['spec']['sha256'][:12]})")
    for warning in info["warnings"]:
        print(f"  warning: {warning}")
    print("  inputs:")
    for a in info["inputs"]:
        print(f"    {a['role']:<12} {a['kind']:<12} {a['source']}  (stored {a['sha256'][:12]})")
    print("  stages:")
    for st in info["stages"]:
        hit = "cache hit" if st["cache_hit"] else f"{st['seconds'] or 0:7.2f} s"
        print(
            f"    {st['name']:<22} {st['status']:<9} {hit:>10}  {st['frames']:>5} frames  key {st['cache_key'][:12]}"
        )
    print("  metrics:")
    for name, value in sorted(info["metrics"].items()):
        print(f"    {name:<28} {value:.4f}" if value is not None else f"    {name:<28} -")
    for st in info["stages"]:
        for name, value in sorted(st["metrics"].items()):
            shown = f"{value:.4f}" if value is not None else "-"
            print(f"    {st['name'] + '/' + name:<40} {shown}")
    print("  outputs:")
    for role, a in info["outputs"].items():
        print(f"    {role:<16} {a['path']}")
    return 0


def _print_tree(node: dict[str, Any], indent: str = "  ") -> None:
    where = node.get("source") or node["path"]
    step = node.get("step")
    made = f" <- {step['stage']} v{step['version']}" if step else "  (input)"
    print(f"{indent}[{node['asset_id']}] {node['role']} {node['kind']} {node['sha256'][:12]}{made}  {where}")
    for child in (node.get("inputs") or {}).values():
        _print_tree(child, indent + "    ")


def handle_lineage(args: argparse.Namespace) -> int:
    catalog = Catalog()
    if args.id.startswith("asset:"):
        tree = catalog.lineage(int(args.id.split(":", 1)[1]))
        trees = {"asset": tree}
    else:
        pid = _resolve(catalog, args.id)
        if pid is None:
            return 1
        trees = catalog.production_lineage(pid)["outputs"]
    if args.json:
        print(json.dumps(trees, indent=2))
        return 0
    for role, tree in trees.items():
        print(f"{role}:")
        _print_tree(tree)
    return 0
