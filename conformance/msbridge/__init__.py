"""The MindSpore side of msport's conformance exchange format (see conformance/README.md)."""
