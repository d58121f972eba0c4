"""Tests of bot.governance: exports for BI tools and forgetting a person."""
