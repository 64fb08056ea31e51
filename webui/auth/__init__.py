"""Login, logout and the first-run setup: pages."""
