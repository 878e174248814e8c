"""Building what students receive: stubs from the reference, the notebook, the checked bundle."""

from autograder.release.bundle import ReleaseError, write_release

__all__ = ["ReleaseError", "write_release"]
