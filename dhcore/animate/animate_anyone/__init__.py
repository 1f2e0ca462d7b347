"""The Animate Anyone family (Moore-AnimateAnyone, MusePose, Champ) on diffusers building blocks.

One file per component: `pose_guider`, `guidance_encoder` (Champ), `motion_module`,
`reference_attention` (bank write/read, fp16 cast, CFG rule), `cross_attention`,
`reference_unet`, `unet3d_blocks` + `unet3d` (the denoiser), `scheduler` (DDIM v-prediction,
zero terminal SNR, trailing), `windows` (context windows), `sampler` (windowed DDIM in frame
order, bounded memory), `conditioning` (CLIP, VAE, streamed pose/guidance frames), `checkpoints`
+ `components` (key-exact loading of the release folders via the model registry), `pipeline`
(one run), `backend` (the `animate_anyone`, `musepose`, `champ` backends: `BACKENDS`) and `tiny`
(tiny random models in the release layout, for tests).

Importing this package is cheap; the backends load their models on first use.
"""
