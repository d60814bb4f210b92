"""Lighthouse on the main pages, in light and dark: `python -m bench.lighthouse`."""
