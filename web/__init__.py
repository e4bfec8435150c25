"""The web part: the consumer's scan page, the co-op pages, the API and the CLI root.

Importing this package loads nothing heavy; Flask comes in with ``web.app``.
"""
