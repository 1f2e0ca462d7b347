"""MuseTalk v1.5: audio-driven lip sync (one-step latent inpainting of the face's lower half)."""
