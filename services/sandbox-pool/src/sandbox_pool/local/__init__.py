"""Local sandboxes: a workspace folder and a Vite dev server run under bubblewrap.

- :mod:`.jail`: the bubblewrap command every sandboxed process runs under (what it can see,
  reach and use);
- :mod:`.workspace`: the workspaces under the provider's root, and how the host writes into
  them without following a link sandboxed code planted;
- :mod:`.server`: the dev server process, on a socket only the host can bind;
- :mod:`.provider`: :class:`LocalProvider` and :class:`LocalSandbox`, which put them together
  behind the provider protocol.
"""

from sandbox_pool.local.provider import LocalProvider, LocalSandbox

__all__ = ["LocalProvider", "LocalSandbox"]
