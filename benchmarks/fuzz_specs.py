"""Hostile specs: N mutated specs of both kinds in process and some through `dh validate`; prints figures.

    PYTHONPATH=. .venv/bin/python benchmarks/fuzz_specs.py [--specs 10000] [--cli 300] [--seed 0]

Targets (issue 9): 0 tracebacks, 0 cases over 2 s, every error located (FILE:LINE:COLUMN with the
spec's own path); a "billion laughs" YAML and the zero device rejected in < 1 s; `dh validate`
exits 0 or 2, never with a traceback. Mutations: inserted tokens (control characters, NUL, YAML
syntax, anchors and aliases, hostile paths), deleted and duplicated spans, swapped lines, random
bytes, and values replaced by other types.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKENS = [
    "\x00", "\x07", "\x1b", "\x7f", "\t", "\ufeff", "[", "]", "{", "}", "*a", "&a ", ": ", "- ", "\n", "\n  ",
    "'", '"', "!!python/object/apply:os.system ['true']", "!!binary AAAA", "~", "1e999", "-1", "nan", "0x10",
    "../../../etc/passwd", "/dev/zero", "x" * 300, "<<: *a", "? ", "%YAML 1.1\n", "---\n", "...\n", "#", "|",
    "[" * 600, "{a: " * 300, "guidance: [a]", "photos: 5", "looks: 3", "poses", "dance.npz", "person.png",
]  # fmt: skip
VALUES = ["5", "[]", "{}", "null", "true", "-3", "1e9", "'x'", "[1, [2, [3]]]", "{a: {b: c}}", '"\\0"', "''"]


def mutate(rng: random.Random, text: str) -> bytes:
    data = text
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        i = rng.randrange(len(data) + 1)
        if op == 0:
            data = data[:i] + rng.choice(TOKENS) + data[i:]
        elif op == 1:
            data = data[:i] + data[i + rng.randint(1, 20) :]
        elif op == 2:
            j = rng.randrange(len(data) + 1)
            data = data[:i] + data[min(i, j) : max(i, j)] + data[i:]
        elif op == 3:
            lines = data.splitlines(keepends=True)
            if len(lines) > 1:
                a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[a], lines[b] = lines[b], lines[a]
                data = "".join(lines)
        elif op == 4:
            lines = data.splitlines(keepends=True)
            k = rng.randrange(len(lines))
            if ":" in lines[k]:
                key = lines[k].split(":", 1)[0]
                lines[k] = f"{key}: {rng.choice(VALUES)}\n"
                data = "".join(lines)
    raw = data.encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        i = rng.randrange(len(raw) + 1)
        raw = raw[:i] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 4))) + raw[i:]
    return raw


def inputs(folder: Path) -> None:
    import cv2
    from skimage import data

    from dhcore.pose.keypoints import PoseSequence

    face = data.astronaut()[0:256, 96:352]  # the head and shoulders: small, still a usable face
    cv2.imwrite(str(folder / "person.png"), cv2.cvtColor(face, cv2.COLOR_RGB2BGR))
    dance = PoseSequence.empty(5, 80, 96, 24.0)
    dance.body[:, :8] = (0.5, 0.5, 0.9)
    dance.save(folder / "dance.npz")
    (folder / "poses").mkdir()
    (folder / "poses" / "0.json").write_text('{"people": [{"pose_keypoints_2d": []}]}')


DANCE = """\
version: 1
kind: dance_video
subject:
  image: person.png
motion:
  type: keypoints
  path: dance.npz
pose: {align: {method: musepose}, smoothing: {enabled: true}}
animate: {backend: warp, width: 256, height: 256}
face: {identity: {enabled: false}}
output: {fps: 24, crf: 20, audio: {source: none}}
"""
SHOOT = """\
version: 1
kind: photo_shoot
identity:
  photos: [person.png]
looks:
  - {name: a, template: person.png, count: 1}
  - {name: b, template: person.png}
selection: {retries: 0}
outputs: {width: 256, height: 256, video: {enabled: false}}
"""


def run_in_process(folder: Path, count: int, seed: int) -> None:
    from dhcore.spec.loader import UNEXPECTED, SpecError, load_spec

    rng = random.Random(seed)
    tracebacks: list[str] = []
    slow: list[float] = []
    unlocated = valid = invalid = at_origin = 0
    times = []
    path = folder / "mutated.yaml"
    for base in (DANCE, SHOOT):  # warm up: the first load imports the face detectors
        path.write_text(base)
        load_spec(path)
    started = time.perf_counter()
    for n in range(count):
        path.write_bytes(mutate(rng, DANCE if n % 2 == 0 else SHOOT))
        t0 = time.perf_counter()
        try:
            load_spec(path)
            valid += 1
        except SpecError as exc:
            invalid += 1
            for issue in exc.issues:
                if UNEXPECTED in issue.message:
                    tracebacks.append(issue.message[:200])
                if issue.file != str(path) or issue.line < 1 or issue.column < 1:
                    unlocated += 1
                at_origin += (issue.line, issue.column) == (1, 1)
        except BaseException as exc:  # noqa: BLE001 - what this benchmark counts
            tracebacks.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        dt = time.perf_counter() - t0
        times.append(dt)
        if dt > 2.0:
            slow.append(dt)
            (folder / f"slow_{n}.yaml").write_bytes(path.read_bytes())
            print(f"    slow case {n}: {dt:.2f} s: {path.read_bytes()[:300]!r}", flush=True)
    total = time.perf_counter() - started
    times.sort()
    print(f"in-process specs:          {count} ({valid} valid, {invalid} invalid) in {total:.1f} s")
    print(f"tracebacks:                {len(tracebacks)}")
    for t in sorted(set(tracebacks))[:10]:
        print(f"    {t}")
    print(
        f"cases over 2 s:            {len(slow)} (slowest {times[-1]:.3f} s, median {times[len(times) // 2]:.4f} s)"
    )
    print(f"errors not located:        {unlocated} (errors at 1:1, the whole file: {at_origin})")


def blowups(folder: Path) -> None:
    from dhcore.spec.loader import SpecError, load_spec

    laughs = folder / "laughs.yaml"
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    laughs.write_text("\n".join(lines) + "\n")
    deep = folder / "deep.yaml"
    deep.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    fifo = folder / "fifo.yaml"
    os.mkfifo(fifo)
    for label, path in [
        (f"billion laughs ({laughs.stat().st_size} bytes)", laughs), ("/dev/zero", Path("/dev/zero")),
        ("100,000 nested lists", deep), ("a FIFO", fifo),
    ]:  # fmt: skip
        t0 = time.perf_counter()
        try:
            load_spec(path)
            outcome = "ACCEPTED"
        except SpecError as exc:
            outcome = str(exc.issues[0])[len(str(path)) :][:90]
        print(f"{label:<30} {time.perf_counter() - t0:7.3f} s  {outcome}")


def run_cli(folder: Path, count: int, seed: int, batch: int = 30) -> None:
    rng = random.Random(seed + 1)
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    codes: dict[int, int] = {}
    traces = 0
    started = time.perf_counter()
    for start in range(0, count, batch):
        paths = []
        for n in range(start, min(count, start + batch)):
            p = folder / f"cli_{n}.yaml"
            p.write_bytes(mutate(rng, DANCE if n % 2 == 0 else SHOOT))
            paths.append(str(p))
        done = subprocess.run(
            [sys.executable, "-m", "dh.cli", "validate", *paths], env=env, capture_output=True, text=True,
            check=False, timeout=600,
        )  # fmt: skip
        codes[done.returncode] = codes.get(done.returncode, 0) + 1
        traces += done.stderr.count("Traceback")
    print(
        f"dh validate:               {count} specs in {len(range(0, count, batch))} calls, {time.perf_counter() - started:.1f} s; "
        f"exit codes {dict(sorted(codes.items()))}; tracebacks {traces}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--specs", type=int, default=10_000)
    ap.add_argument("--cli", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dh-fuzz-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("DH_HOME", str(folder / "home"))
        inputs(folder)
        blowups(folder)
        run_in_process(folder, args.specs, args.seed)
        if args.cli:
            run_cli(folder, args.cli, args.seed)


if __name__ == "__main__":
    main()
