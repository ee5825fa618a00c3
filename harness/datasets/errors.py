class DatasetError(RuntimeError):
    """A dataset is missing, incomplete, or malformed; the message names the path."""
