"""The media store (see :mod:`media_pipeline.storage.base`): one interface, a local folder or an
S3-compatible bucket, chosen by ``MEDIA_STORAGE``."""

from media_pipeline.storage.base import MIME_TYPES, MediaStore
from media_pipeline.storage.local import LocalMediaStore
from media_pipeline.storage.s3 import S3MediaStore, s3_client

__all__ = ["MIME_TYPES", "LocalMediaStore", "MediaStore", "S3MediaStore", "make_store", "s3_client"]


def make_store(config) -> MediaStore:
    """The store the settings name: ``MEDIA_STORAGE`` = ``local`` (default) or ``s3``."""
    kind = (config.get("MEDIA_STORAGE") or "local").lower()
    if kind == "local":
        return LocalMediaStore(config["MEDIA_ROOT"])
    if kind == "s3":
        credentials = (
            config.get("MEDIA_S3_ACCESS_KEY"),
            config.get("MEDIA_S3_SECRET_KEY"),
            config.get("MEDIA_S3_REGION"),
        )
        client = s3_client(config.get("MEDIA_S3_ENDPOINT_URL"), *credentials)
        public = config.get("MEDIA_S3_PUBLIC_URL")
        signer = s3_client(public, *credentials) if public else client
        return S3MediaStore(config["MEDIA_ROOT"], client, config["MEDIA_S3_BUCKET"], signer=signer)
    raise ValueError(f"MEDIA_STORAGE must be local or s3, not {kind!r}")
