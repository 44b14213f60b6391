"""Public-pledge (公开承诺) campaign pipeline: templates, consolidation, tracking, assessment."""

__version__ = "0.1.0"
