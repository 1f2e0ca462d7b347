"""FASHN VTON v1.5 (Apache-2.0): the try-on transformer, its sampler, the release's preprocessing
done from dh's own keypoints (prepare.py) and the `fashn_vton` try-on backend (stage.py)."""
