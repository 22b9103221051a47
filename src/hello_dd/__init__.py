"""hello-dd spec: the reference stack of the hello-dd system and the harness that verifies it."""

__version__ = "0.1.0"
