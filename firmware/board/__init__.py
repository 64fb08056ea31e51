"""The board's I/O (TEL12, APP6): status LED, reset button and the fail-safe line-bypass relay."""
