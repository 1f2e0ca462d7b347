"""Pure plans per production kind (see dhcore.plan)."""
