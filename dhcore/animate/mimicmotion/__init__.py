"""MimicMotion: Stable Video Diffusion's spatio-temporal UNet driven by a pose network.

Our implementation on diffusers building blocks (the SVD UNet, temporal VAE decoder, Euler
scheduler) of Tencent/MimicMotion's inference: the pose features are added after `conv_in`,
the reference enters as a CLIP token and as a VAE latent concatenated to every frame, windows
that all contain the reference-pose frame are fused with triangular weights, then guided.
"""
