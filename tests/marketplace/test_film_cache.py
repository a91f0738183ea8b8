"""The server's copies of films (`marketplace.assembly.film_cache`), without a server: a film is
fetched once however many ask for it at once, a request that would wait long is told to come
back, and only the few films used last are kept."""

import os
import threading
from pathlib import Path

import pytest

from marketplace.assembly.film_cache import FilmCache
from marketplace.errors import Busy


class Fetches:
    """A fetch that writes `<name>` bytes, optionally held until `release` is set."""

    def __init__(self, hold: bool = False) -> None:
        self.calls: list[str] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, dest: Path) -> None:
        self.calls.append(dest.name)
        self.started.set()
        assert self.release.wait(30)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(dest.name.encode() * 10)


def in_thread(cache: FilmCache, name: str, fetch: Fetches, out: list[object]) -> threading.Thread:
    def run() -> None:
        try:
            out.append(cache.copy(name, fetch))
        except Busy as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_film_asked_for_twice_at_once_is_fetched_once(tmp_path: Path) -> None:
    cache = FilmCache(tmp_path, wait_seconds=30)
    fetch = Fetches(hold=True)
    first: list[object] = []
    second: list[object] = []
    a = in_thread(cache, "bafy.mp4", fetch, first)
    assert fetch.started.wait(30)
    b = in_thread(cache, "bafy.mp4", fetch, second)  # waits for the first fetch
    fetch.release.set()
    a.join(30)
    b.join(30)
    assert fetch.calls == ["bafy.mp4"]
    assert first == second == [tmp_path / "bafy.mp4"]


def test_a_request_for_a_film_being_fetched_is_told_to_come_back(tmp_path: Path) -> None:
    cache = FilmCache(tmp_path, wait_seconds=0.05)
    fetch = Fetches(hold=True)
    first: list[object] = []
    a = in_thread(cache, "bafy.mp4", fetch, first)
    assert fetch.started.wait(30)
    with pytest.raises(Busy, match="being fetched for another request") as refused:
        cache.copy("bafy.mp4", fetch)
    assert refused.value.retry_after and refused.value.status == 503
    fetch.release.set()
    a.join(30)
    assert fetch.calls == ["bafy.mp4"] and first == [tmp_path / "bafy.mp4"]


def test_only_a_few_fetches_run_at_once(tmp_path: Path) -> None:
    cache = FilmCache(tmp_path, max_fetches=1)
    fetch = Fetches(hold=True)
    first: list[object] = []
    a = in_thread(cache, "one.mp4", fetch, first)
    assert fetch.started.wait(30)
    with pytest.raises(Busy, match="fetching 1 films already"):
        cache.copy("two.zip", Fetches())
    fetch.release.set()
    a.join(30)
    assert cache.copy("two.zip", Fetches()).is_file()


def test_the_least_recently_used_films_are_deleted_past_the_bound(tmp_path: Path) -> None:
    cache = FilmCache(tmp_path, max_files=2, grace_seconds=0)
    fetch = Fetches()
    old, older = cache.copy("a.mp4", fetch), cache.copy("b.mp4", fetch)
    os.utime(old, (1000, 1000))
    os.utime(older, (500, 500))
    assert cache.copy("a.mp4", fetch) == old  # served from disk, and now the latest used
    cache.copy("c.zip", fetch)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4", "c.zip"]
    assert fetch.calls == ["a.mp4", "b.mp4", "c.zip"]


def test_films_past_the_byte_budget_are_deleted_but_not_one_just_served(tmp_path: Path) -> None:
    cache = FilmCache(tmp_path, max_bytes=100, grace_seconds=3600)
    fetch = Fetches()
    first = cache.copy("a.mp4", fetch)  # 50 bytes
    os.utime(first, (1000, 1000))  # used long ago
    cache.copy("bb.mp4", fetch)  # 60 bytes: over budget, a.mp4 goes
    cache.copy("cc.mp4", fetch)  # over again, but bb.mp4 was just served: kept for now
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bb.mp4", "cc.mp4"]


def test_what_a_fetch_cut_short_left_is_deleted(tmp_path: Path) -> None:
    part = tmp_path / ".bafy.mp4.x1y2.part"
    part.write_bytes(b"half a film")
    FilmCache(tmp_path).copy("bafy.zip", Fetches())
    assert not part.exists()
