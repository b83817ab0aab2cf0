"""Result records (one schema-validated JSON file per scored run) and their presentation."""
