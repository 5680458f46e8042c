"""The presigned URLs players are sent to name the address they reach the bucket by: the host is
part of an S3 signature, so a URL signed for the internal endpoint would not work from outside."""

from urllib.parse import urlsplit

from media_pipeline.storage import S3MediaStore, make_store


def settings(tmp_path, **extra):
    return {
        "MEDIA_STORAGE": "s3",
        "MEDIA_ROOT": str(tmp_path),
        "MEDIA_S3_ENDPOINT_URL": "http://127.0.0.1:8333",
        "MEDIA_S3_BUCKET": "hongke-media",
        "MEDIA_S3_ACCESS_KEY": "key",
        "MEDIA_S3_SECRET_KEY": "secret",
        "MEDIA_S3_REGION": "us-east-1",
        **extra,
    }


def test_segment_urls_are_signed_for_the_public_address(tmp_path):
    store = make_store(settings(tmp_path, MEDIA_S3_PUBLIC_URL="https://media.dangxiao.example.cn"))
    assert isinstance(store, S3MediaStore)
    url = urlsplit(store.presigned_url("assets/1/k/720p/seg_00000.ts", 600))
    assert (url.scheme, url.netloc) == ("https", "media.dangxiao.example.cn")
    assert url.path == "/hongke-media/assets/1/k/720p/seg_00000.ts"
    assert "X-Amz-Signature=" in url.query
    assert "X-Amz-Expires=600" in url.query
    # the worker still talks to the internal endpoint
    assert store.client.meta.endpoint_url == "http://127.0.0.1:8333"


def test_without_a_public_address_the_endpoint_signs(tmp_path):
    url = urlsplit(make_store(settings(tmp_path)).presigned_url("assets/1/k/poster.jpg", 60))
    assert url.netloc == "127.0.0.1:8333"
