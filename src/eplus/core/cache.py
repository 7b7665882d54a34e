"""Django's Redis cache, with one Redis client per connection pool kept for the process.

Django's client builds a new ``redis.Redis`` object for every cache operation; each one fills a table of
about 170 response callbacks, which was a quarter of a millisecond per operation — most of the cost of a
cached public page (two cache reads) and a sixth of an uncached one. The client object is thread-safe
and holds no connection of its own (the pool does), so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients[index] = self._client(connection_pool=self._get_connection_pool(write))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient

    def count_hit(self, key, seconds):
        """Add one to ``key``'s count (kept ``seconds`` from its first hit) and return it: INCR and the
        expiry in one pipeline, one round trip (the rate limits, eplus.core.ratelimit)."""
        full_key = self.make_and_validate_key(key)
        pipe = self._cache.get_client(full_key, write=True).pipeline(transaction=False)
        pipe.incr(full_key)
        pipe.expire(full_key, seconds, nx=True)
        return pipe.execute()[0]
