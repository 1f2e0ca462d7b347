"""Local model registry: ids → files under DH_MODELS_DIR, verified by sha256 before use."""
