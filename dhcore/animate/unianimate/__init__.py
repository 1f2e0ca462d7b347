"""UniAnimate (SD2.1-based video UNet without ReferenceNet): our implementation, key-exact with the release.

config      architecture sizes (full release, tiny test size)
blocks      ResBlock with temporal convolutions, spatial/temporal transformers, resampling
adapters    the pose / reference / local-image embedders concatenated to the latent
unet        the video UNet (reference frame prepended along time, CLIP tokens as context)
clip        OpenCLIP ViT-H-14 towers: the image embedding and the empty-prompt context
vae         the SD2.1 VAE (diffusers AutoencoderKL, keys converted from the LDM checkpoint)
scheduler   v-prediction DDIM with zero terminal SNR and the release's timestep rule
denoiser    cond/uncond batching in front of the shared wavefront sampler; the noise prior
components  key-exact loading of the three release files through the model registry
pipeline    one run: reference image + skeleton frames -> RGB frames, streamed
backend     the `unianimate` animation backend (`BACKENDS`)
tiny        tiny random release files, for tests and CPU benchmarks

Importing this package is cheap; the backend loads its models on first use.
"""
