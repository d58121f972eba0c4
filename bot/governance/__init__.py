"""Data governance: exports for BI tools and erasing a person's personal data on request."""
