"""The HTTP API of CONTRACT.md, one module a resource, each an ``APIRouter``."""
