"""Who may see or do what in the marketplace, one module a part. Views and API endpoints ask here; none decides on
its own, and nothing here returns another community's rows."""
