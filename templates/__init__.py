"""Jinja2 templates and texts the writers render (package data: ``pipeline.templates``)."""
