"""Security headers on every response: what a page may load and run, who may frame it, what it may
ask of the device.

The Content-Security-Policy allows scripts from this site only: no inline ``<script>`` and no
``onclick=``-style handlers anywhere (``app/static/js/site.js`` gives forms their confirmation,
selects their auto-submit and buttons their print action from ``data-*`` attributes). Inline
``style=`` attributes are allowed (``'unsafe-inline'`` for styles only): they cannot run code, and a
few dozen templates size bars and thumbnails with them. Media and workers may come from ``blob:``,
which hls.js (MediaSource) and pdf.js (its worker) need, and scripts may compile WebAssembly
(``'wasm-unsafe-eval'``, which allows no JavaScript eval): pdf.js decodes JPEG 2000 images with it.

Pages that need the camera (scanning a check-in QR code) say so with :func:`allows_camera`; every
other page denies it.
"""

from collections.abc import Callable

from flask import Flask, current_app, request

IMG_SRC = "img-src 'self' data: blob:"
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        IMG_SRC,
        "media-src 'self' blob:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
CAMERA_PERMISSIONS_POLICY = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"


def policy_with_images_from(*origins: str) -> str:
    """The policy with ``origins`` added to img-src: for a page that shows a configured tile server's
    images (the red map); every other source stays as strict."""
    origins = tuple(o for o in origins if o)
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace(IMG_SRC, " ".join((IMG_SRC, *origins)))


def allows_camera(view: Callable) -> Callable:
    """Mark a view whose page may use the camera (``Permissions-Policy: camera=(self)``)."""
    view.allows_camera = True
    return view


def _view_allows_camera(app: Flask) -> bool:
    view = app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "allows_camera", False))


def _set_headers(response):
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    camera = _view_allows_camera(current_app._get_current_object())
    headers.setdefault("Permissions-Policy", CAMERA_PERMISSIONS_POLICY if camera else PERMISSIONS_POLICY)
    seconds = current_app.config.get("HSTS_SECONDS") or 0
    if seconds and request.is_secure:
        headers.setdefault("Strict-Transport-Security", f"max-age={int(seconds)}; includeSubDomains")
    return response


def register(app: Flask) -> None:
    app.after_request(_set_headers)
