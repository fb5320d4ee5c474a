"""Who may load a sandbox's preview, in ``AUTH_MODE=required``.

The preview is a document in an opaque origin (see :mod:`gateway.preview`): the browser sends
it no cookies of the gateway's and no ``Authorization``, so the link itself must say who may
see it. The API hands out preview links with a signed token (``?preview_token=``,
:class:`gateway.auth.PreviewSigner`) bound to the user, the project and the sandbox, valid for
minutes to hours.

* A document load (``Sec-Fetch-Dest`` document/iframe, or a client that sends none, like curl)
  needs a valid token for this sandbox, whose user still owns the sandbox's project; anything
  else answers 404, the same as an unknown sandbox. The first admitted load sets a cookie
  scoped to ``/preview/<id>/`` holding the token, so reloads (Vite's full reload) and links
  inside the preview keep working without the query (over https, or http on loopback: the
  cookie must be ``Secure``; elsewhere on plain http a reload needs the link again).
* A subresource (a module, a stylesheet, an image) or the HMR websocket of an admitted
  document passes on the sandbox id alone: a module fetched from an opaque origin carries no
  cookie, so there is nothing else to check. The id is 128 random bits that only the owner's
  own API answers reveal, so it works as a capability; a leaked id shows the preview's
  assets, never the owner's account.
"""

from __future__ import annotations

from fastapi import Request
from sqlmodel import col, select

from gateway.auth import LINK_PARAM, PreviewSigner
from gateway.preview import Admission
from paynto_common.db import Database, Project, Sandbox

# Destinations that load a preview document; everything else is a subresource.
DOCUMENT_DESTS = frozenset({"document", "iframe", "frame", "embed", "object"})


def preview_cookie(sandbox_id: str) -> str:
    return f"paynto_preview_{sandbox_id}"


class PreviewAccess:
    def __init__(self, db: Database, signer: PreviewSigner) -> None:
        self.db = db
        self.signer = signer

    async def __call__(self, request: Request, sandbox_id: str) -> Admission:
        dest = request.headers.get("sec-fetch-dest")
        if dest is not None and dest not in DOCUMENT_DESTS:
            return Admission(True)
        token = request.query_params.get(LINK_PARAM)
        from_cookie = not token
        if from_cookie:
            token = request.cookies.get(preview_cookie(sandbox_id))
        claims = self.signer.verify(token, sandbox_id) if token else None
        if claims is None or not await self._owns(*claims, sandbox_id):
            return Admission(False)
        if from_cookie:
            return Admission(True)
        # SameSite=None: the reload that needs it is started by the preview's own document,
        # whose origin is opaque, so the browser counts it as cross-site and would withhold
        # a Lax or Strict cookie. The cookie opens only this preview's documents (which no
        # other page can read), so sending it cross-site gives nothing away. None needs
        # Secure: browsers take that over https, and on http from loopback.
        cookie = (f"{preview_cookie(sandbox_id)}={token}; Path=/preview/{sandbox_id}/; "
                  f"Max-Age={self.signer.ttl_seconds}; HttpOnly; SameSite=None; Secure")
        return Admission(True, cookie)

    async def _owns(self, user_id: str, project_id: str, sandbox_id: str) -> bool:
        async with self.db.session() as s:
            found = (await s.exec(
                select(Sandbox.id).join(Project, col(Project.id) == col(Sandbox.project_id))
                .where(Sandbox.id == sandbox_id, Sandbox.project_id == project_id,
                       Project.owner_id == user_id))).first()
        return found is not None
