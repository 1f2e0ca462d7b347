"""Spec models (pydantic v2), the located YAML loader, and JSON Schema generation."""
