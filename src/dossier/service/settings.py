"""The [service] section: where the service listens and what it accepts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dossier.config import Config


class ServiceSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8700, ge=1, le=65535)
    max_input_bytes: int = Field(1 << 20, ge=1)
    """The largest body of an ordinary request, and of the fields of a form that carries files."""
    max_upload_files: int = Field(20, ge=1)
    """How many files one request may carry (the evidence of one verification, say)."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """Addresses (or networks, ``10.0.0.0/8``) of TLS-terminating proxies whose ``X-Forwarded-Proto`` is
    believed."""
    secure_cookies: Literal["auto", "always"] = "auto"
    """``auto``: the session cookie is Secure when the browser's connection is TLS (directly or through a
    trusted proxy); ``always``: Secure whatever the request says (a site served only over https)."""
    search_threads: int = Field(1, ge=1, le=64)
    """How many API searches one service process works on at once; the others wait their turn. A search
    is mostly Python under the GIL: more threads add switching, not speed (see the README's bench)."""
    max_upload_bytes: int = Field(4 << 30, ge=1)
    """Not read from [service]: the archive's own limit, [media].max_file_bytes, so one number rules."""


def service_settings(config: Config) -> ServiceSettings:
    from dossier.media import media_settings

    settings = config.section("service", ServiceSettings)
    return settings.model_copy(update={"max_upload_bytes": media_settings(config).max_file_bytes})
