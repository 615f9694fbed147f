"""Stride: a fast, strict static site generator for content sites."""

__version__ = "0.1.0"
