"""Where uploaded and generated files live: the web server's disk (the demo, one machine) or
S3-compatible object storage (``STORAGE_BACKEND=s3``, through django-storages)."""


def s3_storage(env):
    """The ``STORAGES["default"]`` entry for S3-compatible object storage, from the environment
    (``env(name)`` → value or None)."""
    from boto3.s3.transfer import TransferConfig

    bucket = env("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        raise RuntimeError("STORAGE_BACKEND=s3 needs AWS_STORAGE_BUCKET_NAME (and the endpoint and keys of the store)")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "addressing_style": env("AWS_S3_ADDRESSING_STYLE") or "path",
            "signature_version": "s3v4",
            # Private by default: every file is read through a permission-checked view, which answers
            # with a link signed for a short time (SIGNED_URL_SECONDS).
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": int(env("SIGNED_URL_SECONDS") or 120),
            "file_overwrite": False,
            # Uploads go up in 8 MB parts, two at a time: a 100 MB result file never sits in memory.
            "transfer_config": TransferConfig(multipart_threshold=8 * 1024 * 1024,
                                              multipart_chunksize=8 * 1024 * 1024, max_concurrency=2),
        },
    }
