"""SQL as text: quoting, the tables a query reads, and DuckDB connections with bounded memory."""
