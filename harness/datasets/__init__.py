"""Readers for the guides' real dataset layouts and generators of small synthetic copies
in exactly those layouts (so the same reader and preprocessing run on both)."""
