"""The SQL catalog of specs, productions, step runs, assets, lineage and metrics."""
