"""Test double of ais_bench 0.0.2 (``python3 -m ais_bench``); see __main__.py."""
