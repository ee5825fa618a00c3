"""Speed benchmarks: the suite against straightforward reimplementations of the
guides' own scripts, measured side by side in one run. Not collected by pytest
(``testpaths = tests``); run ``python -m benchmarks`` (see benchmarks/README.md)."""
