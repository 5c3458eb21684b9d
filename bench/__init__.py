"""Floor's benchmark suite: `python -m bench` drives Floor and two reference servers over the public contract."""


class BenchError(Exception):
    """A run could not be measured: a server refused the contract, crashed, or a worker timed out."""
