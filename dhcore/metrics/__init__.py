"""Quality metrics computed on produced media (framework-free)."""
