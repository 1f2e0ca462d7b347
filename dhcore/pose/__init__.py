"""Pose stages: extraction, alignment, smoothing, rendering; keypoints are the currency."""
