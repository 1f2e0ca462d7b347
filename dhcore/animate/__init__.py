"""Animation backends: move the person of the reference photo along the target poses."""
