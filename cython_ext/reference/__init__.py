"""Pure-Python twins of the compiled kernels: same API, same behaviour, written to be read."""
