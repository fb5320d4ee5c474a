"""git_sync settings."""

from __future__ import annotations

from pydantic import Field

from paynto_common.safety.urls import FetchPolicy, parse_allow_hosts
from paynto_common.settings import CommonSettings


class GitSyncSettings(CommonSettings):
    service_name: str = "git-sync"
    health_port: int = 9104
    # Who the commits are by (the person's own name once accounts carry an email).
    git_author: str = "Paynto <paynto@localhost>"
    # Hosts the SSRF guard lets a remote be on although their address is internal
    # (host or host:port, comma-separated): a private GitLab or Gitea, tests. Empty: none.
    git_allow_hosts: str = ""
    git_push_timeout_seconds: float = Field(default=60.0, gt=0)
    # Where publishes are deployed when their owner keeps a token (the APIs' own hosts; a
    # test points them at loopback doubles).
    vercel_api_url: str = "https://api.vercel.com"
    vercel_team_id: str | None = None
    netlify_api_url: str = "https://api.netlify.com"
    # How long one deploy may take, uploads and the provider's own build included.
    deploy_timeout_seconds: float = Field(default=300.0, gt=0)
    # How often a deploy's state is asked for while the provider works on it.
    deploy_poll_seconds: float = Field(default=2.0, gt=0)

    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(allow_hosts=parse_allow_hosts(self.git_allow_hosts),
                           timeout=self.git_push_timeout_seconds)
