"""FASHN VTON v1.5 (Apache-2.0): the try-on transformer and its sampler, on plain torch.

Not yet a try-on backend: the release's preprocessing (DWPose pose drawings, its human parser's
clothing-agnostic image) has no stage here yet.
"""
