"""dh core: spec models, catalog, asset store, media I/O and the production stages.

Framework-free: nothing in this package imports Prefect. Importing it switches the
Hugging Face libraries to offline mode, because dh never downloads weights at run time.
"""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"
