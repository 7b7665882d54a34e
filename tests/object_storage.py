"""A real S3 API server for the tests: moto in server mode (``moto_server``), as a separate process on
127.0.0.1, with one bucket; eplus reaches it through django-storages exactly as it reaches S3."""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BUCKET = "eplus-test-files"
ACCESS_KEY, SECRET_KEY, REGION = "testing-access-key", "testing-secret-key", "eu-central-1"


class S3Server:
    def __init__(self, port, log_dir):
        self.port, self.log_dir = port, Path(log_dir)
        self.endpoint = f"http://127.0.0.1:{port}"
        self.popen = None

    def start(self):
        moto = Path(sys.executable).with_name("moto_server")
        self._log = open(self.log_dir / "moto.log", "ab")
        self.popen = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
                                      stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(self.endpoint + "/moto-api/", timeout=2)
                break
            except OSError as exc:
                if time.monotonic() > deadline or self.popen.poll() is not None:
                    raise RuntimeError("moto_server did not start") from exc
                time.sleep(0.2)
        self.client().create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        return self

    def stop(self):
        if self.popen and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(10)

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=ACCESS_KEY,
                            aws_secret_access_key=SECRET_KEY, region_name=REGION)

    def env(self):
        """The environment variables that point ``./run serve`` / ``./run worker`` at this server."""
        return {"STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": BUCKET, "AWS_S3_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_S3_REGION_NAME": REGION}

    def keys(self):
        listing = self.client().list_objects_v2(Bucket=BUCKET)
        return [item["Key"] for item in listing.get("Contents", [])]

    def body(self, key):
        return self.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
