"""The landing page, the language switch and the health check."""
