"""The app's own tests, with a fake Redis in memory: no server, no network.

    pytest app/tests
"""

import logging

import pytest
import redis

from app.app import COUNTER, KEY_PREFIX, connect, create_app


class FakeRedis:
    """The few commands the app sends, over a dict (values as str, as with
    decode_responses=True)."""

    def __init__(self):
        self.data: dict[str, str] = {}

    def get(self, key):
        return self.data.get(key)

    def set(self, key, value):
        self.data[key] = str(value)
        return True

    def incr(self, key):
        self.data[key] = str(int(self.data.get(key, "0")) + 1)
        return int(self.data[key])


class DownRedis:
    """A Redis that cannot be reached: every command fails as redis-py's does."""

    def __init__(self, error: redis.exceptions.RedisError | None = None):
        self.error = error or redis.exceptions.ConnectionError(
            "Error -2 connecting to db:6379. Name or service not known.")

    def __getattr__(self, command):
        def fail(*args, **kwargs):
            raise self.error
        return fail


@pytest.fixture
def store():
    return FakeRedis()


@pytest.fixture
def client(store):
    return create_app(store).test_client()


def test_home_counts_each_visit_in_redis(client, store):
    first = client.get("/", headers={"Accept": "application/json"}).get_json()
    second = client.get("/", headers={"Accept": "application/json"}).get_json()
    assert second["visits"] == first["visits"] + 1
    assert store.data[COUNTER] == str(second["visits"])


def test_home_page_shows_the_count_and_the_container(client, store):
    store.data[COUNTER] = "41"
    response = client.get("/", headers={"Accept": "text/html"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert '<strong id="visits">42</strong>' in page
    assert f'<code id="served-by">{response.headers["X-Served-By"]}</code>' in page


def test_every_response_names_the_container_that_served_it(client):
    for response in (client.get("/"), client.get("/kv/absent"), client.put("/kv/a", data="1")):
        assert response.headers["X-Served-By"], response


def test_served_by_is_the_hostname(store, monkeypatch):
    monkeypatch.setattr("socket.gethostname", lambda: "3f2a9c1b7d0e")
    response = create_app(store).test_client().get("/", headers={"Accept": "application/json"})
    assert response.headers["X-Served-By"] == "3f2a9c1b7d0e"
    assert response.get_json()["hostname"] == "3f2a9c1b7d0e"


def test_put_then_get_a_value(client, store):
    put = client.put("/kv/greeting", data="bonjour")
    assert put.status_code == 201 and put.get_json() == {"key": "greeting", "value": "bonjour"}
    assert store.data[KEY_PREFIX + "greeting"] == "bonjour"
    assert client.get("/kv/greeting").get_json() == {"key": "greeting", "value": "bonjour"}


def test_a_value_written_in_redis_is_read_by_the_app(client, store):
    store.data[KEY_PREFIX + "colour"] = "bleu"
    assert client.get("/kv/colour").get_json()["value"] == "bleu"


def test_unknown_key_is_404(client):
    response = client.get("/kv/nothing-here")
    assert response.status_code == 404
    assert "nothing-here" in response.get_json()["error"]


def test_the_form_stores_and_shows_the_value(client, store):
    response = client.post("/kv", data={"key": "city", "value": "Bordeaux"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/kv/city")
    assert store.data[KEY_PREFIX + "city"] == "Bordeaux"


@pytest.mark.parametrize("key", ["", "   ", "a/b"])
def test_the_form_refuses_a_missing_or_slashed_key(client, store, key):
    response = client.post("/kv", data={"key": key, "value": "x"})
    assert response.status_code == 400 and not store.data


def test_a_value_too_large_is_refused(client, store):
    response = client.put("/kv/big", data="x" * (64 * 1024 + 1))
    assert response.status_code == 413 and not store.data


@pytest.mark.parametrize("request_", [("get", "/"), ("get", "/kv/a"), ("put", "/kv/a")])
@pytest.mark.parametrize("error", [redis.exceptions.ConnectionError("Connection refused."),
                                   redis.exceptions.TimeoutError("Timeout connecting")])
def test_redis_down_is_a_503_naming_host_port_and_what_to_check(monkeypatch, caplog, request_,
                                                                 error):
    monkeypatch.setenv("REDIS_HOST", "db.b3.ingesup")
    monkeypatch.setenv("REDIS_PORT", "6380")
    client = create_app(DownRedis(error)).test_client()
    method, path = request_
    with caplog.at_level(logging.ERROR):
        response = getattr(client, method)(path)
    message = response.get_json()["error"]
    assert response.status_code == 503
    assert "db.b3.ingesup:6380" in message and "docker compose ps" in message
    assert message in caplog.text


def test_redis_defaults_to_the_compose_service_db(monkeypatch):
    monkeypatch.delenv("REDIS_HOST", raising=False)
    monkeypatch.delenv("REDIS_PORT", raising=False)
    response = create_app(DownRedis()).test_client().get("/")
    assert "Redis at db:6379 is unreachable" in response.get_json()["error"]


def test_without_a_store_the_app_uses_the_redis_the_environment_names(monkeypatch):
    monkeypatch.setenv("REDIS_HOST", "redis.example")
    monkeypatch.setenv("REDIS_PORT", "6390")
    seen = []
    monkeypatch.setattr("app.app.connect",
                        lambda host, port: seen.append((host, port)) or FakeRedis())
    create_app()
    assert seen == [("redis.example", 6390)]


def test_the_client_connects_at_its_first_command_and_gives_up_quickly():
    client = connect("redis.example", 6390)  # no server there, and none needed yet
    kwargs = client.connection_pool.connection_kwargs
    assert (kwargs["host"], kwargs["port"]) == ("redis.example", 6390)
    assert kwargs["socket_connect_timeout"] <= 2 and kwargs["decode_responses"] is True
