"""Hostile and messy inputs (issue 7): a corpus built by code, each case run end to end."""
