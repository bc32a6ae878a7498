"""The ledger's rules as plain functions: amounts, limits, batches and exchange rates. No database, no requests."""
