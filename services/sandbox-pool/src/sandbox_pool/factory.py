"""The provider ``SANDBOX_PROVIDER`` names, built from the settings."""

from __future__ import annotations

from pathlib import Path

from sandbox_pool.node_modules import NodeModulesCache
from sandbox_pool.provider import SandboxProvider
from sandbox_pool.resource_limits import ResourceLimits
from sandbox_pool.settings import SandboxPoolSettings


def make_provider(settings: SandboxPoolSettings, node_modules: NodeModulesCache,
                  owner_id: str) -> SandboxProvider:
    """The configured provider; ``owner_id`` (this replica) is who makes its sandboxes."""
    if settings.sandbox_provider == "e2b":
        from sandbox_pool.e2b import E2BProvider

        key = settings.e2b_api_key
        return E2BProvider(
            key.get_secret_value() if key else None,
            template=settings.e2b_template,
            template_has_deps=settings.e2b_template_has_deps,
            domain=settings.e2b_domain,
            api_url=settings.e2b_api_url,
            sandbox_url=settings.e2b_sandbox_url,
            preview_url=settings.e2b_preview_url,
            # Outlives a missed keep-alive beat or two, not much more: an abandoned sandbox
            # (its replica died) stops costing soon after.
            sandbox_timeout=int(max(settings.sandbox_keep_alive, 60)),
        )
    if settings.sandbox_provider == "vercel":
        from sandbox_pool.vercel import VercelProvider

        token = settings.vercel_token
        return VercelProvider(
            token=token.get_secret_value() if token else None,
            team_id=settings.vercel_team_id,
            project_id=settings.vercel_project_id,
            api_url=settings.vercel_sandbox_api_url,
            timeout=max(settings.sandbox_keep_alive, 60),
        )
    from sandbox_pool.local import LocalProvider

    # Besides the data folder, home and /run, hide the folder we run from: a checkout keeps
    # its .env (provider keys) there.
    return LocalProvider(
        settings.sandboxes_dir(), node_modules, owner_id=owner_id,
        hidden_paths=[settings.data_dir, Path.home(), Path("/run"), Path.cwd()],
        limits=ResourceLimits(
            memory_mb=settings.sandbox_memory_mb,
            processes=settings.sandbox_max_processes,
            file_mb=settings.sandbox_file_mb,
            tmp_mb=settings.sandbox_tmp_mb,
            disk_mb=settings.sandbox_disk_mb,
        ),
    )
