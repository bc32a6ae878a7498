"""The marketplace's forms, one module a part."""
