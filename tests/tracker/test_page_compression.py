"""Stored pages are kept gzipped beside their body, compressed once, and sent gzipped to
the browsers that accept it; the others, and the first request, get the body itself."""

import gzip

import pytest

TREATY = "/treaties/hanoi-convention/"


@pytest.mark.parametrize("path", ["/", TREATY, "/participants/vnm/"])
def test_a_stored_page_is_sent_gzipped_to_a_browser_that_accepts_it_and_reads_the_same(seeded, client, path):
    plain = client.get(path)  # the miss: the view's own response, now stored
    assert plain["X-Page-Cache"] == "miss" and "Accept-Encoding" in plain["Vary"]
    packed = client.get(path, HTTP_ACCEPT_ENCODING="br, gzip;q=0.8, deflate")
    assert packed["X-Page-Cache"] == "hit" and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 2


@pytest.mark.parametrize("header", [None, "identity", "gzip;q=0", "br", "gzip;q=nonsense"])
def test_a_browser_that_does_not_take_gzip_gets_the_page_as_it_is(seeded, client, header):
    first = client.get(TREATY)
    extra = {"HTTP_ACCEPT_ENCODING": header} if header else {}
    again = client.get(TREATY, **extra)
    assert again["X-Page-Cache"] == "hit" and not again.has_header("Content-Encoding")
    assert again.content == first.content


def test_a_page_under_a_kilobyte_is_not_compressed(seeded, client):
    from tracker.pagecache import ResponseStore

    store = ResponseStore("tracker:test-small", local_bytes=1 << 20, compress=True)
    store.put("small", "v1", b"<p>small</p>", "text/html")
    store.put("large", "v1", b"<p>" + b"large " * 400 + b"</p>", "text/html")
    assert store.entry("small", "v1")[3] is None
    assert gzip.decompress(store.entry("large", "v1")[3]).startswith(b"<p>large")
