"""The team server (``wtui serve``): an HTTP API over one book that replicas sync with."""
