"""The service kit: everything a PACS Service Ops service needs besides its own logic."""
