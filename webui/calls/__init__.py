"""Call records (CDRs), their classification (ACD12) and recordings: page, API and service."""
