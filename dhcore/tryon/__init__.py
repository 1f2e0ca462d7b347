"""Virtual try-on: a garment from a product photo onto a person photo (issue 14)."""
