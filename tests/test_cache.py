"""The response cache keeps offsets, not bodies: what it gives back must be the answer saved for
that very request, across a kill, a resume and another writer on the same file."""

from advisor.cache import ResponseCache


def body(text: str) -> dict:
    return {"choices": [{"message": {"content": text}}]}


def test_answers_come_back_after_a_reload_and_a_torn_line_is_skipped(tmp_path):
    path = tmp_path / "cache" / "responses.jsonl"
    cache = ResponseCache(path)
    cache.put("k1", body("one"), 12.5, "a/e1/0")
    cache.put("k2", body("two"), None)
    assert cache.get("k1")["body"] == body("one")  # read back in the same run
    cache.close()
    with path.open("ab") as f:
        f.write(b'{"key":"k3","tag":"","latency_ms":1,"bo')  # killed mid-write

    resumed = ResponseCache(path)
    assert len(resumed) == 2 and "k3" not in resumed
    resumed.put("k3", body("three"), 3.0)
    resumed.put("k1", body("one again"), 4.0)  # the later answer wins
    resumed.close()

    again = ResponseCache(path)
    assert {k: again.get(k)["body"] for k in ("k1", "k2", "k3")} == {
        "k1": body("one again"),
        "k2": body("two"),
        "k3": body("three"),
    }
    assert again.get("k4") is None
    again.close()


def test_another_writer_on_the_same_file_gives_a_miss_never_another_answer(tmp_path):
    path = tmp_path / "responses.jsonl"
    a, b = ResponseCache(path), ResponseCache(path)
    a.put("k1", body("one"), 1.0)
    b.put("k2", body("two"), 1.0)  # a second run appending to the same folder's cache
    a.put("k3", body("three"), 1.0)
    assert a.get("k1")["body"] == body("one")
    found = a.get("k3")
    assert found is None or found["body"] == body("three")
    a.close()
    b.close()
    reloaded = ResponseCache(path)
    assert reloaded.get("k3")["body"] == body("three")  # a reload finds every line
    reloaded.close()
