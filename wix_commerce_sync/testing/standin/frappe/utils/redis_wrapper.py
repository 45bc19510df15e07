"""Dict-backed subset of frappe.utils.redis_wrapper.RedisWrapper (shared by all threads, like redis)."""

from __future__ import annotations

import fnmatch
import pickle
import threading
import time

import frappe


class RedisWrapper:
    def __init__(self):
        self._data: dict[str, tuple[bytes, float | None]] = {}
        self._hashes: dict[str, dict[str, bytes]] = {}
        self._lock = threading.RLock()

    def __call__(self):
        return self

    # -- keys -----------------------------------------------------------------------------------
    def make_key(self, key, user=None, shared=False) -> str:
        if shared:
            return key
        if user:
            if user is True:
                user = frappe.session.user
            key = f"user:{user}:{key}"
        return f"{getattr(frappe.local, 'site', None) or ''}|{key}"

    def _alive(self, key: str):
        item = self._data.get(key)
        if item is None:
            return None
        value, expires_at = item
        if expires_at is not None and time.monotonic() >= expires_at:
            del self._data[key]
            return None
        return value

    # -- values ---------------------------------------------------------------------------------
    def set_value(self, key, val, user=None, expires_in_sec=None, shared=False):
        key = self.make_key(key, user, shared)
        if not expires_in_sec:
            local_cache = getattr(frappe.local, "cache", None)
            if local_cache is not None:
                local_cache[key] = val
        with self._lock:
            expires_at = time.monotonic() + expires_in_sec if expires_in_sec else None
            self._data[key] = (pickle.dumps(val), expires_at)

    def get_value(self, key, generator=None, user=None, expires=False, shared=False):
        original_key = key
        key = self.make_key(key, user, shared)
        local_cache = getattr(frappe.local, "cache", None)
        if not expires and local_cache is not None and key in local_cache:
            return local_cache[key]
        with self._lock:
            raw = self._alive(key)
        val = pickle.loads(raw) if raw is not None else None  # noqa: S301 - our own pickles
        if val is None and generator:
            val = generator()
            self.set_value(original_key, val, user=user, shared=shared)
        elif not expires and local_cache is not None and val is not None:
            local_cache[key] = val
        return val

    def get_all(self, key):
        return {k: self.get_value(k) for k in self.get_keys(key)}

    def get_keys(self, key):
        pattern = self.make_key(key) + "*"
        with self._lock:
            return [k for k in list(self._data) + list(self._hashes) if fnmatch.fnmatchcase(k, pattern)]

    def delete_keys(self, key):
        with self._lock:
            for k in self.get_keys(key):
                self._data.pop(k, None)
                self._hashes.pop(k, None)
        local_cache = getattr(frappe.local, "cache", None)
        if local_cache is not None:
            prefix = self.make_key(key)
            for k in [k for k in local_cache if k.startswith(prefix)]:
                del local_cache[k]

    def delete_key(self, *args, **kwargs):
        self.delete_value(*args, **kwargs)

    def delete_value(self, keys, user=None, make_keys=True, shared=False):
        if not keys:
            return
        if not isinstance(keys, (list, tuple)):
            keys = (keys,)
        local_cache = getattr(frappe.local, "cache", None)
        with self._lock:
            for key in keys:
                full = self.make_key(key, user, shared) if make_keys else key
                self._data.pop(full, None)
                self._hashes.pop(full, None)
                if local_cache is not None:
                    local_cache.pop(full, None)

    def exists(self, *names, user=None, shared=None):
        with self._lock:
            return sum(1 for n in names if self._alive(self.make_key(n, user, shared)) is not None or self.make_key(n, user, shared) in self._hashes)

    # -- hashes ---------------------------------------------------------------------------------
    def hset(self, name, key, value, shared=False, *args, **kwargs):
        with self._lock:
            self._hashes.setdefault(self.make_key(name, shared=shared), {})[key] = pickle.dumps(value)

    def hget(self, name, key, generator=None, shared=False):
        with self._lock:
            raw = self._hashes.get(self.make_key(name, shared=shared), {}).get(key)
        if raw is not None:
            return pickle.loads(raw)  # noqa: S301 - our own pickles
        if generator:
            value = generator()
            self.hset(name, key, value, shared=shared)
            return value
        return None

    def hgetall(self, name):
        with self._lock:
            items = dict(self._hashes.get(self.make_key(name), {}))
        return {k: pickle.loads(v) for k, v in items.items()}  # noqa: S301

    def hdel(self, name, key, shared=False):
        with self._lock:
            self._hashes.get(self.make_key(name, shared=shared), {}).pop(key, None)

    def hdel_keys(self, name_starts_with, key):
        for name in self.get_keys(name_starts_with):
            with self._lock:
                self._hashes.get(name, {}).pop(key, None)

    def hkeys(self, name):
        with self._lock:
            return list(self._hashes.get(self.make_key(name), {}))

    def flushall(self):
        with self._lock:
            self._data.clear()
            self._hashes.clear()
