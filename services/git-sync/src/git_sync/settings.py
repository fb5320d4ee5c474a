"""git_sync settings."""

from paynto_common.settings import CommonSettings


class GitSyncSettings(CommonSettings):
    service_name: str = "git-sync"
    health_port: int = 9104
