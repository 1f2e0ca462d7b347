"""The `dh` command line: validate, run and submit specs; inspect the catalog; manage models."""
