"""Prefect task wrappers: cache keys, retries, artifacts and catalog writes around dhcore stages."""
