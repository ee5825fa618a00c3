"""Stub of the ``aclruntime`` wheel for the test double (presence and version only)."""
__version__ = "0.0.2"
