"""GPU stages on one GPU never overlap (a global-concurrency slot per GPU); CPU stages take none."""

from __future__ import annotations

import threading
import time


def test_gpu_slot_serializes_stages_on_one_gpu_and_not_across_gpus(prefect_api: None, monkeypatch) -> None:
    from tasks.gpu import gpu_slot, gpu_slot_name

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    spans: list[tuple[str, float, float]] = []

    def stage(label: str) -> None:
        with gpu_slot("cuda") as name:
            assert name == gpu_slot_name() and name.endswith("-3")
            start = time.monotonic()
            time.sleep(1.0)
            spans.append((label, start, time.monotonic()))

    threads = [threading.Thread(target=stage, args=(f"s{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (_, a0, a1), (_, b0, b1) = sorted(spans, key=lambda s: s[1])
    assert b0 >= a1 - 0.05  # the second stage waited for the first to leave the GPU
    with gpu_slot("cpu") as name:
        assert name is None


def test_onnx_sessions_use_cuda_only_when_onnxruntime_has_it(monkeypatch) -> None:
    import onnxruntime as ort

    from dhcore.models.onnx_providers import onnx_providers

    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("DH_ONNX_DEVICE", raising=False)
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        assert onnx_providers() == ["CPUExecutionProvider"]  # the CPU build here
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert onnx_providers() == ["CUDAExecutionProvider", "CPUExecutionProvider"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # a worker given no GPU
    assert onnx_providers() == ["CPUExecutionProvider"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    monkeypatch.setenv("DH_ONNX_DEVICE", "cpu")
    assert onnx_providers() == ["CPUExecutionProvider"]
