"""Safety helpers shared by services: path confinement for untrusted file names."""

from paynto_common.safety.paths import UnsafePathError, confine, is_forbidden

__all__ = ["UnsafePathError", "confine", "is_forbidden"]
