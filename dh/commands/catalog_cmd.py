"""`dh catalog list | show ID | lineage ID`, each with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dh.commands.gc_cmd import human
from dhcore.catalog import ops
from dhcore.catalog.repo import Catalog

STATUSES = ("running", "succeeded", "failed", "crashed")
#: metrics shown in `dh catalog list`, with their short names
SHORT = {"pose_pck": "pck", "face_match_rate": "face", "identity_pass_rate": "identity"}
KEY_METRICS = tuple(SHORT)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalog", help="productions, assets, lineage and metrics in the catalog")
    csub = p.add_subparsers(dest="catalog_command", required=True)
    ls = csub.add_parser("list", help="recent productions: status, kind, key metrics, store size")
    ls.add_argument(
        "--limit", type=int, default=50, help="at most this many, newest first (default %(default)s)"
    )
    ls.add_argument("--status", choices=STATUSES, help="only productions with this status")
    ls.add_argument(
        "--kind",
        choices=(
            "dance_video",
            "photo_shoot",
            "try_on",
            "face_swap",
            "face_edit",
            "talking_head",
            "face_reenact",
        ),  # fmt: skip
        help="only productions of this spec kind",
    )
    ls.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    ls.set_defaults(handler=handle_list)
    show = csub.add_parser("show", help="one production: inputs, assets, stages, metrics")
    show.add_argument("production_id", help="production id (a unique prefix is enough)")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    show.set_defaults(handler=handle_show)
    lin = csub.add_parser("lineage", help="what a production's outputs (or an asset) were made from")
    lin.add_argument("id", help="production id (or prefix), or asset:N")
    lin.add_argument("--json", action="store_true", help="print the full tree as JSON (subtrees repeated)")
    lin.set_defaults(handler=handle_lineage)


def _resolve(catalog: Catalog, prefix: str) -> str | None:
    try:
        return catalog.resolve_production_id(prefix)
    except KeyError as exc:
        print(f"dh: {exc.args[0]}", file=sys.stderr)
        return None


def handle_list(args: argparse.Namespace) -> int:
    catalog = Catalog()
    catalog.mark_crashed()  # a dead local run shows as crashed, not running
    rows = catalog.list_productions(max(args.limit, 1) * (4 if args.status or args.kind else 1))
    if args.status or args.kind:
        kinds = {
            r["production_id"]: catalog.show_production(r["production_id"])["spec"]["kind"] for r in rows
        }
        rows = [r for r in rows if (not args.status or r["status"] == args.status)
                and (not args.kind or kinds[r["production_id"]] == args.kind)][: args.limit]  # fmt: skip
    sizes = ops.production_sizes([r["production_id"] for r in rows])
    for r in rows:
        info = catalog.show_production(r["production_id"])
        r["kind"] = info["spec"]["kind"]
        r["metrics"] = {k: info["metrics"][k] for k in KEY_METRICS if info["metrics"].get(k) is not None}
        r["store_bytes"], r["pruned_bytes"] = sizes[r["production_id"]]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        metrics = "  ".join(f"{SHORT[k]} {v:.2f}" for k, v in r["metrics"].items())
        pruned = f" (+{human(r['pruned_bytes'])} pruned)" if r["pruned_bytes"] else ""
        print(
            f"{r['production_id']}  {r['status']:<9}  {r['kind']:<11}  {r['created_at'][:19]}  "
            f"{human(r['store_bytes']):>10}{pruned}  {r['name']}  {metrics}"
        )
    if not rows:
        print("no productions yet" if not (args.status or args.kind) else "no matching productions")
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


def _print_tree(node: dict[str, Any], indent: str = "  ", shown: set[int] | None = None) -> None:
    """The lineage tree; an asset met again (a shared input) is printed once, then referred to."""
    shown = set() if shown is None else shown
    where = node.get("source") or node["path"]
    step = node.get("step")
    made = f" <- {step['stage']} v{step['version']}" if step else "  (input)"
    head = f"{indent}[{node['asset_id']}] {node['role']} {node['kind']} {node['sha256'][:12]}{made}"
    if node["asset_id"] in shown and node.get("inputs"):
        print(f"{head}  (see above)")
        return
    shown.add(node["asset_id"])
    print(f"{head}  {where}")
    for child in (node.get("inputs") or {}).values():
        _print_tree(child, indent + "    ", shown)


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
    shown: set[int] = set()
    for role, tree in trees.items():
        print(f"{role}:")
        _print_tree(tree, shown=shown)
    return 0
