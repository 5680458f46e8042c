"""The object store: an S3-compatible bucket through boto3 (``MEDIA_STORAGE=s3``)."""

import os
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from flask import Response, redirect

from media_pipeline.storage.base import _LAST, MIME_TYPES, MediaStore

_clients: dict[tuple, object] = {}
_clients_lock = threading.Lock()


def s3_client(endpoint_url: str | None, access_key: str | None, secret_key: str | None, region: str | None):
    """One boto3 client per process and settings (clients are thread-safe and slow to build; the
    process id is part of the key so that a forked worker never shares its parent's connections)."""
    settings = (os.getpid(), endpoint_url, access_key, secret_key, region)
    with _clients_lock:
        client = _clients.get(settings)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                "s3",
                endpoint_url=endpoint_url or None,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                region_name=region or "us-east-1",
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    connect_timeout=5,
                    read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                    max_pool_connections=32,
                    # Checksums only where S3 requires them: services other than AWS (SeaweedFS,
                    # MinIO, Ceph) do not all take the newer default ones.
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                ),
            )
            _clients[settings] = client
        return client


class S3MediaStore(MediaStore):
    """Stored things in one bucket of an S3-compatible service; ``root`` is scratch space only.

    Objects are immutable once written, except the chunk manifest; a folder is a key prefix. A
    folder is uploaded file by file (several at once) with its master playlist last, so a chunk
    part whose master is there is whole; published output folders need no such care, since no row
    points at one before it is whole.
    """

    is_remote = True
    #: Files uploaded at once when a folder is stored or fetched.
    THREADS = 8
    #: A shared copy unused this long is removed from the machine (longer than any transcode).
    CACHE_SECONDS = 6 * 3600

    def __init__(self, root: str | os.PathLike, client, bucket: str, signer=None):
        super().__init__(root)
        self.client, self.bucket = client, bucket
        #: Signs the URLs players fetch: a client of the address *they* reach the bucket by
        #: (``MEDIA_S3_PUBLIC_URL``, e.g. a CDN or the public gateway), since the host is signed too.
        self.signer = signer or client

    def _errors(self):
        from botocore.exceptions import ClientError

        return ClientError

    @staticmethod
    def _status(exc) -> int:
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)

    def _objects(self, prefix: str) -> Iterator[dict]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            yield from page.get("Contents", [])

    def _folder_objects(self, key: str) -> list[dict]:
        return list(self._objects(key.rstrip("/") + "/"))

    def is_file(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self._errors() as exc:
            if self._status(exc) in (404, 403):
                return False
            raise
        return True

    def exists(self, key: str) -> bool:
        return self.is_file(key) or self._holds_objects(key.rstrip("/") + "/")

    def read_text(self, key: str) -> str | None:
        body = self.read_bytes(key)
        return body.decode() if body is not None else None

    def read_bytes(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except self._errors() as exc:
            if self._status(exc) == 404:
                return None
            raise
        return answer["Body"].read()

    def write_text(self, key: str, text: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=text.encode())

    def _upload(self, source: Path, key: str) -> None:
        content_type = MIME_TYPES.get(source.suffix.lower(), "application/octet-stream")
        self.client.upload_file(str(source), self.bucket, key, ExtraArgs={"ContentType": content_type})

    def store_file(self, source: Path, key: str, *, move: bool) -> None:
        self._upload(source, key)  # multipart for large files (s3transfer), streamed from disk
        if move:
            source.unlink(missing_ok=True)

    @contextmanager
    def stored(self, source: Path, key: str, *, move: bool) -> Iterator[Path]:
        self._upload(source, key)
        try:
            yield source
        finally:
            if move:
                source.unlink(missing_ok=True)

    def put_folder(self, folder: Path, key: str) -> None:
        if self.is_file(f"{key}/{_LAST}"):  # stored whole already (parts of a killed upload are replaced)
            raise FileExistsError(key)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        first = [p for p in files if p.relative_to(folder).as_posix() != _LAST]
        last = [p for p in files if p.relative_to(folder).as_posix() == _LAST]
        with ThreadPoolExecutor(self.THREADS) as pool:
            for done in [
                pool.submit(self._upload, p, f"{key}/{p.relative_to(folder).as_posix()}") for p in first
            ]:
                done.result()
        for path in last:
            self._upload(path, f"{key}/{_LAST}")
        shutil.rmtree(folder, ignore_errors=True)

    def download(self, key: str, target: Path) -> Path:
        """Copy a stored folder (several files at once) or file into the local folder ``target``;
        returns the local path of what was copied (``target`` itself for a folder)."""
        prefix = key.rstrip("/") + "/"
        objects = list(self._objects(prefix))
        if not objects:
            path = target / PurePosixPath(key).name
            try:
                self.client.download_file(self.bucket, key, str(path))
            except self._errors() as exc:
                if self._status(exc) != 404:
                    raise
            return path
        jobs = []
        for item in objects:
            path = target / item["Key"][len(prefix) :]
            path.parent.mkdir(parents=True, exist_ok=True)
            jobs.append((item["Key"], str(path)))
        with ThreadPoolExecutor(self.THREADS) as pool:
            for done in [pool.submit(self.client.download_file, self.bucket, k, p) for k, p in jobs]:
                done.result()
        return target

    @contextmanager
    def fetch_file(self, key: str, *, shared: bool = False) -> Iterator[Path]:
        if shared:
            yield self._cached(key)
            return
        scratch = self._scratch_fetch_dir(key)
        try:
            yield self.download(key, scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _cached(self, key: str) -> Path:
        """The machine's one copy of a stored file, under ``cache/<key>`` of the scratch space: used
        while its ETag still matches the object's, replaced in one ``rename`` otherwise (a reader of
        the old copy keeps reading it), and removed once unused for ``CACHE_SECONDS``."""
        self._prune_cache()
        try:
            etag = self.client.head_object(Bucket=self.bucket, Key=key)["ETag"].strip('"')
        except self._errors() as exc:
            if self._status(exc) != 404:
                raise
            return self.root / "cache" / key  # not there: a path that is no file, as fetch_file gives
        target = self.root / "cache" / key
        marker = target.with_name(target.name + ".etag")
        try:
            if target.is_file() and marker.read_text() == etag:
                os.utime(target)  # in use: not pruned
                return target
        except OSError:
            pass
        scratch = self._scratch_fetch_dir(key)
        try:
            fresh = self.download(key, scratch)
            (scratch / "etag").write_text(etag)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(fresh, target)  # one filesystem: the scratch space
            os.replace(scratch / "etag", marker)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        return target

    def _prune_cache(self) -> None:
        now = time.time()
        for path in (self.root / "cache").rglob("*"):
            try:
                if path.is_file() and now - path.stat().st_mtime > self.CACHE_SECONDS:
                    path.unlink(missing_ok=True)
            except OSError:
                continue

    @contextmanager
    def fetch_folder(self, key: str) -> Iterator[Path]:
        scratch = self._scratch_fetch_dir(key)
        try:
            self.download(key, scratch)
            yield scratch
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def subfolders(self, key: str) -> list[str]:
        prefix = key.rstrip("/") + "/"
        names = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"][len(prefix) :].rstrip("/"))
        # A service with real folders (SeaweedFS's filer) may list a folder emptied a moment ago.
        return sorted(n for n in names if n and self._holds_objects(f"{prefix}{n}/"))

    def _holds_objects(self, prefix: str) -> bool:
        return bool(self.client.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1).get("Contents"))

    def age_seconds(self, key: str) -> float | None:
        objects = self._folder_objects(key)
        if objects:
            newest = max(item["LastModified"] for item in objects)
        else:
            try:
                newest = self.client.head_object(Bucket=self.bucket, Key=key)["LastModified"]
            except self._errors():
                return None
        return time.time() - newest.timestamp()

    def delete(self, key: str) -> None:
        if not key:
            return
        keys = [item["Key"] for item in self._folder_objects(key)] + [key]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})

    def claim(self, key: str) -> bool:
        """A conditional write (``If-None-Match: *``): the service refuses the second one (412)."""
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=b"", IfNoneMatch="*")
        except self._errors() as exc:
            if self._status(exc) in (409, 412):
                return False
            raise
        return True

    def location(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def check_ready(self) -> None:
        """The scratch space is writable and the bucket answers (``head_bucket``)."""
        self.check_scratch()
        self.client.head_bucket(Bucket=self.bucket)

    def manifest(self) -> list[dict]:
        """Every object of the bucket: key, size and ETag (what ``flask backup`` records)."""
        return [
            {"key": item["Key"], "size": item["Size"], "etag": item["ETag"].strip('"')}
            for item in self._objects("")
        ]

    def presigned_url(self, key: str, expires_in: int) -> str:
        return self.signer.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=max(int(expires_in), 1)
        )

    def response(
        self, key: str, *, max_age: int, serve_mode: str = "direct", accel_prefix: str = ""
    ) -> Response:
        """A playlist is read and answered by the app (small; its relative URIs keep the token path
        segment for what it lists); anything else is a 302 to a presigned GET URL that lives as
        long as the answer may be cached (``max_age``), so nothing outlives the viewer's grant."""
        mimetype = MIME_TYPES[PurePosixPath(key).suffix.lower()]
        if mimetype == MIME_TYPES[".m3u8"]:
            body = self.read_bytes(key)
            if body is None:
                return Response(status=404)
            return Response(body, mimetype=mimetype)
        return redirect(self.presigned_url(key, max_age), 302)
