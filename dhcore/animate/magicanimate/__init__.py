"""MagicAnimate on diffusers building blocks.

One file per component: `config` (release settings, file layout), `unet3d_blocks` + `unet3d`
(SD1.5 inflated to video: GroupNorms pooled over the window's frames, AnimateDiff motion modules,
ControlNet residuals, reference attention in the mid and up blocks), `appearance_encoder` (the
UNet2D copy that writes the reference bank, once per denoising step), `controlnet` (DensePose
ControlNet residuals per window), `text` (the empty prompt's CLIP embedding), `components`
(key-exact loading through the model registry), `sampler` (the Animate Anyone wavefront with a
per-step bank and per-window ControlNet), `pipeline` (one run), `backend` and `tiny` (tiny
random models in the release layout, for tests).

Window scheduling, motion modules, reference attention, the DDIM wrapper, the VAE helpers and the
weights reader are the Animate Anyone family's, reused.
"""
