from harness.errors import SuiteError


class DatasetError(SuiteError):
    """A dataset is missing, incomplete, or malformed; the message names the path."""
