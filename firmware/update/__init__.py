"""Updates (issue 10, item 4): RAUC bundles checked, installed to the other root slot, tried once, kept
only when the box's health check passes. docs/appliance.md, section "Updates"."""
