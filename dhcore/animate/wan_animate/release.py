"""The released Wan2.2-Animate-14B component configs, in diffusers' keys (torch-free).

Written from the public model cards and configs (Wan-AI/Wan2.2-Animate-14B and its -Diffusers
folder; diffusers' own tiny test config of WanAnimateTransformer3DModel for the key names). The
published folder sizes check them: transformer 69.1 GB of float32, image encoder 1.26 GB of bfloat16.
"""

from __future__ import annotations

TRANSFORMER = {
    "patch_size": [1, 2, 2],
    "num_attention_heads": 40,
    "attention_head_dim": 128,
    "in_channels": 36,
    "latent_channels": 16,
    "out_channels": 16,
    "text_dim": 4096,
    "freq_dim": 256,
    "ffn_dim": 13824,
    "num_layers": 40,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "eps": 1e-6,
    "image_dim": 1280,
    "added_kv_proj_dim": 5120,
    "rope_max_seq_len": 1024,
    "pos_embed_seq_len": None,
    "motion_encoder_channel_sizes": None,
    "motion_encoder_size": 512,
    "motion_style_dim": 512,
    "motion_dim": 20,
    "motion_encoder_dim": 512,
    "face_encoder_hidden_dim": 1024,
    "face_encoder_num_heads": 4,
    "inject_face_latents_blocks": 5,
    "motion_encoder_batch_size": 8,
}
#: the Wan 2.1 VAE (Wan2.1_VAE.pth in the original release)
VAE = {
    "base_dim": 96,
    "z_dim": 16,
    "dim_mult": [1, 2, 4, 4],
    "num_res_blocks": 2,
    "temperal_downsample": [False, True, True],
}
#: open-clip xlm-roberta-large ViT-H/14's vision tower, as transformers' CLIPVisionModel
IMAGE_ENCODER = {
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "projection_dim": 1024,
    "num_hidden_layers": 32,
    "num_attention_heads": 16,
    "image_size": 224,
    "patch_size": 14,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
}
#: published folder sizes as the hub rounds them (bytes, half its last digit) and bytes per stored value
PUBLISHED_BYTES = {"transformer": (69.1e9, 0.05e9, 4), "image_encoder": (1.26e9, 0.005e9, 2)}
