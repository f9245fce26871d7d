"""Speak to a persist server exactly as pypersist's MongoDB cache does.

pypersist's client (pypersist/mongodbcache.py) uses the requests library;
this script sends the same requests (methods, URLs, headers, JSON bodies) with
the standard library only, and replays the scenarios of pypersist's own
tests of that cache (tst/test_mongodbcache.py), with pypersist's default
pickling (pickle + urlsafe base64) and hashing (SHA-256 of the pickled key,
urlsafe base64 without padding).

Usage: python3 pypersist_client.py CACHE
where CACHE is a pypersist cache string such as
mongodb://TOKEN@127.0.0.1:5000/persist. Exits 0 when every check passed.
"""

import base64
import hashlib
import json
import os.path
import pickle as pickle_module
import sys
import urllib.error
import urllib.parse
import urllib.request


class HashCollisionError(Exception):
    pass


def default_pickle(obj):
    return base64.urlsafe_b64encode(pickle_module.dumps(obj)).decode("utf-8")


def default_unpickle(string):
    return pickle_module.loads(base64.urlsafe_b64decode(string.encode("utf-8")))


def default_hash(key):
    b = base64.urlsafe_b64encode(hashlib.sha256(pickle_module.dumps(key)).digest())
    assert b.endswith(b"=")
    return b[:-1].decode("utf-8")


class HTTPStatusError(Exception):
    """What requests' raise_for_status raises."""

    def __init__(self, status, body):
        super().__init__("%d: %s" % (status, body))
        self.status = status


class Response:
    def __init__(self, status, text):
        self.status_code = status
        self.text = text

    def raise_for_status(self):
        if self.status_code >= 400:
            raise HTTPStatusError(self.status_code, self.text)


def request(method, url, headers=None, json_body=None):
    """requests.request(method, url, headers=headers, json=json_body)."""
    parts = urllib.parse.urlsplit(url)
    headers = dict(headers or {})
    if parts.username is not None:
        # requests turns user:password@ into HTTP Basic authentication.
        cred = "%s:%s" % (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))
        headers["Authorization"] = "Basic " + base64.b64encode(cred.encode("latin1")).decode("ascii")
        netloc = parts.hostname + (":%d" % parts.port if parts.port else "")
        parts = parts._replace(netloc=netloc)
    # requests quotes what is not allowed in a URL, as requote_uri does.
    path = urllib.parse.quote(parts.path, safe="!#$%&'()*+,/:;=?@[]~")
    url = urllib.parse.urlunsplit(parts._replace(path=path))
    data = None
    if json_body is not None:
        data = json.dumps(json_body, allow_nan=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Response(resp.status, resp.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return Response(e.code, e.read().decode("utf-8"))


class Cache:
    """pypersist.mongodbcache.Cache, line for line, over request()."""

    def __init__(self, func, url):
        self._func = func
        if url.find("://") == -1:
            url = "http://" + url
        self._url = os.path.join(url, self._func._funcname)
        self._headers = {"Content-type": "application/json", "Accept": "text/plain"}

    def __getitem__(self, key):
        h = self._func._hash(key)
        if self._func._unhash:
            storedkey = self._func._unhash(h)
            if storedkey != key:
                raise HashCollisionError(storedkey, key)
        db_item = self._get_db(h)
        if db_item:
            if self._func._storekey:
                storedkey = self._func._unpickle(db_item["key"])
                if storedkey != key:
                    raise HashCollisionError(storedkey, key)
            val = self._func._unpickle(db_item["result"])
        else:
            raise KeyError(key)
        return val

    def __setitem__(self, key, val):
        h = self._func._hash(key)
        new_item = {
            "funcname": self._func._funcname,
            "hash": h,
            "namespace": "pypersist",
            "result": self._func._pickle(val),
        }
        if self._func._storekey:
            new_item["key"] = self._func._pickle(key)
        if self._func._metadata:
            new_item["metadata"] = self._func._metadata()
        r = request("POST", self._url, headers=self._headers, json_body=new_item)
        r.raise_for_status()

    def __delitem__(self, key):
        h = self._func._hash(key)
        db_item = self._get_db(h)
        if db_item is None:
            raise KeyError(key)
        url = self._url + "/" + db_item["_id"]
        headers = dict(self._headers)
        headers["If-Match"] = db_item["_etag"]
        r = request("DELETE", url, headers=headers)
        r.raise_for_status()

    def __len__(self):
        db_items = self._get_db()
        if db_items:
            return db_items["_meta"]["total"]
        return 0

    def __iter__(self):
        # CacheWithKeys.KeysIter: the first page of items only.
        db_items = self._get_db()
        items = db_items["_items"] if db_items else []
        for item in items:
            if self._func._storekey:
                yield self._func._unpickle(item["key"])
            else:
                yield self._func._unhash(item["hash"])

    def keys(self):
        return list(iter(self))

    def values(self):
        return [self[k] for k in self]

    def items(self):
        return [(k, self[k]) for k in self]

    def clear(self):
        r = request("DELETE", self._url)
        if r.status_code not in [204, 404]:
            r.raise_for_status()

    def _get_db(self, hash=None):
        url = self._url
        if hash:
            url += "/" + hash
        r = request("GET", url)
        if r.status_code == 200:
            return json.loads(r.text)
        elif r.status_code == 404:
            return None
        else:
            r.raise_for_status()


def persist(cache, key=None, storekey=False, pickle=default_pickle, unpickle=default_unpickle,
            hash=default_hash, unhash=None, metadata=None, funcname=None):
    """The part of pypersist's decorator that the cache sees."""

    def decorate(func):
        class Wrapper:
            def __init__(self):
                self._func = func
                self._funcname = funcname or func.__name__
                self._key = key or (lambda *args: tuple(("x" if i == 0 else "y", a) for i, a in enumerate(args)))
                self._storekey = storekey
                self._pickle, self._unpickle = pickle, unpickle
                self._hash, self._unhash = hash, unhash
                self._metadata = metadata
                pos = cache.index("://")
                assert cache[:pos] == "mongodb"
                self.cache = Cache(self, cache[pos + 3:])

            def __call__(self, *args):
                k = self._key(*args)
                try:
                    return self.cache[k]
                except KeyError:
                    val = self._func(*args)
                    self.cache[k] = val
                    return val

            def clear(self):
                self.cache.clear()

        return Wrapper()

    return decorate


def expect_raises(exc, fn):
    try:
        fn()
    except exc as e:
        return e
    raise AssertionError("%s not raised" % exc.__name__)


def main(cache):
    calls = []

    # test_mongo
    @persist(cache=cache)
    def triple(x):
        calls.append(x)
        return 3 * x

    triple.clear()
    assert len(triple.cache) == 0
    assert triple(3) == 9
    assert len(triple.cache) == 1
    assert triple(3) == 9 and calls == [3], calls
    assert triple.cache[(("x", 3),)] == 9
    triple.cache[(("x", 10),)] = 31
    assert triple(10) == 31
    e = expect_raises(KeyError, lambda: triple.cache[(("x", 5),)])
    assert e.args[0] == (("x", 5),)
    assert len(triple.cache) == 2
    del triple.cache[(("x", 3),)]
    assert len(triple.cache) == 1
    e = expect_raises(KeyError, lambda: triple.cache.__delitem__((("x", 5),)))
    assert e.args[0] == (("x", 5),)
    # Overwriting a stored key (pypersist's Eve server kept the old value).
    triple.cache[(("x", 10),)] = 30
    assert triple(10) == 30 and len(triple.cache) == 1
    print("ok triple")

    # test_hash: a readable hash with spaces, text pickling.
    @persist(hash=lambda k: "%s to the %s" % (k[0][1], k[1][1]), pickle=str, unpickle=int, cache=cache)
    def pow(x, y):
        return x ** y

    pow.clear()
    for (x, y), want in [((2, 3), 8), ((7, 4), 2401), ((1, 3), 1), ((10, 5), 100000), ((0, 0), 1), ((2, 16), 65536)]:
        assert pow(x, y) == want
    assert pow(10, 5) == 100000 and pow(0, 0) == 1
    assert len(pow.cache) == 6
    print("ok pow")

    # test_storekey: iterate keys, values and items.
    @persist(storekey=True, cache=cache, metadata=lambda: "computed by the compatibility check")
    def square(x):
        return x * x

    square.clear()
    assert square(12) == 144 and square(0) == 0 and square(8) == 64
    assert sorted(square.cache.keys()) == [(("x", 0),), (("x", 8),), (("x", 12),)]
    assert sorted(square.cache.values()) == [0, 64, 144]
    assert sorted(square.cache.items()) == [((("x", 0),), 0), ((("x", 8),), 64), ((("x", 12),), 144)]
    print("ok storekey")

    # test_hash_collision
    @persist(hash=lambda k: "hello world", cache=cache, funcname="collide")
    def collide(x):
        return x * x

    collide.clear()
    assert collide(3) == 9 and collide(4) == 9

    @persist(hash=lambda k: "hello world", storekey=True, cache=cache, funcname="collide_keyed")
    def collide_keyed(x):
        return x * x

    collide_keyed.clear()
    assert collide_keyed(3) == 9
    e = expect_raises(HashCollisionError, lambda: collide_keyed(4))
    assert e.args[0] != e.args[1]
    print("ok collision")

    # test_unhash
    @persist(key=float, hash=lambda k: "e to the %s" % k, unhash=lambda s: float(s[9:]), cache=cache)
    def exp(x):
        return 2.71828 ** x

    exp.clear()
    exp(2), exp(2.0), exp(-1), exp(3.14)
    assert len(exp.cache) == 3
    assert sorted(exp.cache.keys()) == [-1, 2.0, 3.14]
    print("ok unhash")

    # A result a Go program wrote with text pickling reads as text here.
    @persist(hash=lambda k: "%s to the %s" % (k[0][1], k[1][1]), pickle=str, unpickle=int, cache=cache,
             funcname="gowritten")
    def gowritten(x, y):
        raise AssertionError("gowritten(%d, %d) was recomputed: the Go result was not found" % (x, y))

    assert gowritten(3, 4) == 81
    print("ok go-written")

    # Without the token a write is refused with 401.
    anonymous = cache.split("://", 1)[1]
    anonymous = anonymous.split("@", 1)[1] if "@" in anonymous else anonymous
    r = request("POST", "http://" + anonymous + "/triple", headers={"Content-type": "application/json"},
                json_body={"funcname": "triple", "hash": "h", "namespace": "pypersist", "result": "r"})
    assert r.status_code == 401, r.status_code
    assert json.loads(r.text)["_status"] == "ERR"
    print("ok token")


if __name__ == "__main__":
    main(sys.argv[1])
    print("all checks passed")
