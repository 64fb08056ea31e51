"""The first-run wizard (issue 10, item 3): from a claimed box to a first answered call, step by step."""
