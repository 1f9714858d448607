"""What every self-contained HTML page remoteops writes shares (the route map, the readiness
report): the Content-Security-Policy hash that lets exactly the page's own inline script or
style run, and nothing else."""

from __future__ import annotations

import base64
import hashlib


def csp_hash(source: str) -> str:
    """``'sha256-...'`` of an inline ``<script>`` or ``<style>`` body, for the page's CSP."""
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
