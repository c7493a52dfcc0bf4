"""Can anyone store files on the web server with PUT? Shown by doing it, then undoing it.

On every web port (in clear and through TLS), a small text file with a random name is PUT
into ``/``, the directories ``/`` links to, those http_listing found listed, and a few common
upload directories (:data:`~ixion.plugins._http.COMMON_DIRECTORIES`). A write counts as
confirmed only when a ``GET`` of the same URL returns exactly the bytes written; the file is
then DELETEd and a last ``GET`` checks it is gone, and the report says if it is not (with its
URL, for the administrator to remove).

Run with ``safe_checks`` too, by decision: the file is 60 bytes of text named
``ixion-put-test-<random>.txt``, is removed at once when the server allows it, and nothing
else is touched, so the check changes nothing that lasts on a server that allows DELETE
along with PUT (which WebDAV setups do); where DELETE is refused the report names the file
left. The preference "Upload a test file" turns the check off for those who want no write
at all.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from ixion.plugin_api.metadata import Category, PluginInfo, PluginPreference, PreferenceType
from ixion.plugin_api.qod import Qod, QodType
from ixion.plugins._http import candidates, directory_links, request, url
from ixion.plugins._support import service_ports, uses_tls

if TYPE_CHECKING:
    from ixion.plugin_api.context import PluginContext

__all__ = ["ENABLED", "INFO", "Upload", "run"]

ENABLED: Final = "Upload a test file"

INFO = PluginInfo(
    id=90000033,
    filename="http_put.py",
    name="HTTP PUT allowed: anyone can upload files",
    family="Web Servers",
    category=Category.ATTACK,
    summary="Uploads a test file with PUT, reads it back and deletes it",
    description=(
        "Tries to store a small test file with the HTTP PUT method in the web root and "
        "common upload directories of each web server, reads it back with GET to confirm, "
        "and deletes it with DELETE. If anyone can store files, an attacker can deface the "
        "site, host malware or phishing pages on it, or upload scripts the server then "
        "runs. Allow PUT (WebDAV) only to authenticated users."
    ),
    xrefs=("CWE:434", "CWE:650"),
    dependencies=("find_service.py", "http_listing.py"),
    require_ports=("Services/www",),
    preferences=(PluginPreference(ENABLED, PreferenceType.CHECKBOX, "yes"),),
    qod=Qod.of(QodType.REMOTE_VUL),
)


@dataclass(frozen=True, slots=True)
class Upload:
    """One PUT the server accepted: where, its status, and what followed."""

    path: str
    status: int
    #: GET returned exactly what was written.
    confirmed: bool
    #: DELETE was accepted and a GET afterwards found nothing.
    removed: bool


async def _try(ctx: PluginContext, port: int, tls: bool, directory: str) -> Upload | None:
    token = secrets.token_hex(8)
    path = f"{directory}ixion-put-test-{token}.txt"
    content = f"ixion write test {token}: safe to delete\n".encode()
    headers = [("Content-Type", "text/plain")]
    put = await request(ctx, port, "PUT", path, tls=tls, headers=headers, body=content)
    if put is None or not 200 <= put.status < 300:
        return None
    got = await request(ctx, port, "GET", path, tls=tls)
    confirmed = got is not None and got.status == 200 and got.body == content
    deleted = await request(ctx, port, "DELETE", path, tls=tls)
    gone = await request(ctx, port, "GET", path, tls=tls)
    removed = (
        deleted is not None
        and 200 <= deleted.status < 300
        and gone is not None
        and gone.status in (404, 410)
    )
    return Upload(path, put.status, confirmed, removed)


def _describe(ctx: PluginContext, port: int, tls: bool, uploads: list[Upload]) -> str:
    confirmed = [upload for upload in uploads if upload.confirmed]
    lines = (
        ["The web server let ixion upload files with PUT; reading each back with GET "
         "returned exactly what was written:"]
        if confirmed
        else ["The web server accepted PUT requests, but the files could not be read back "
              "with GET, so the upload is not confirmed (they may be stored elsewhere):"]
    )  # fmt: skip
    for upload in confirmed or uploads:
        fate = "deleted again" if upload.removed else "could NOT be deleted: please remove it"
        lines.append(f"  {url(ctx, port, tls, upload.path)}  (PUT: {upload.status}; {fate})")
    lines += [
        "",
        "Anyone can store files on this server: deface the site, host malware or phishing "
        "pages under its name, fill its disk, or upload scripts that the server then runs.",
        "",
        "Solution: disable PUT (and DELETE, MKCOL...) where it is not needed (nginx: remove "
        "'dav_methods', Apache: remove 'Dav On' or limit it with <LimitExcept GET HEAD "
        "OPTIONS>), and require authentication wherever WebDAV is wanted.",
    ]
    return "\n".join(lines)


async def run(ctx: PluginContext) -> None:
    if (ctx.preference(ENABLED) or "yes") != "yes":
        return
    for port in service_ports(ctx, "www"):
        tls = uses_tls(ctx, port)
        root = await request(ctx, port, "GET", "/", tls=tls)
        if root is None:
            continue
        listed = [str(path) for path in ctx.kb.values(f"www/{port}/listing")]
        linked = directory_links(root.body) if root.status == 200 else []
        uploads = [
            upload
            for directory in candidates([*linked, *listed])
            if (upload := await _try(ctx, port, tls, directory)) is not None
        ]
        if not uploads:
            continue
        text = _describe(ctx, port, tls, uploads)
        if any(upload.confirmed for upload in uploads):
            ctx.kb.replace(f"www/{port}/PUT", 1)
            ctx.hole(text, port=port)
        else:
            ctx.warning(text, port=port, qod_type=QodType.REMOTE_PROBE)
