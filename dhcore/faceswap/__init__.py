"""The face_swap production: an identity's face on every frame of a target video."""
