"""Test doubles of external tools (never imported by harness/)."""
