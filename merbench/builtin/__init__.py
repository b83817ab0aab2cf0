"""merbench's built-in plugins: one module per component kind, using the public hooks only."""
