"""The commons' rules as plain functions, one module a rule: how contested slots are shared (rotation, weighted
lottery, fair assignment), how limited visits are apportioned, how a rota spreads the load, and the certificate
that lets anyone re-run an allocation and get the same result. No ORM, no request: tested exhaustively here."""
