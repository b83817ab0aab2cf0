"""Small helpers shared across merbench, one job each (schema errors, mean ± std, ...)."""
