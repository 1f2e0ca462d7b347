"""Wan2.2-Animate through diffusers' own WanAnimatePipeline (dhcore.animate.wan_animate.backend)."""
