"""The course's Python app (TP 1.5, "5. Compose"): a visit counter and a small
key/value store, kept in Redis, served by gunicorn on port 5000.

    GET  /            counts the visit; shows the count and the container that served it
                      (JSON with ``Accept: application/json``)
    GET  /kv/KEY      the value stored under KEY (404 when there is none)
    PUT  /kv/KEY      stores the request's body under KEY
    POST /kv          the same from the page's form (fields ``key`` and ``value``)

Redis is ``REDIS_HOST``:``REDIS_PORT`` (default ``db``:6379, the compose
service's name). The counter is the Redis key ``hits``, a value KEY is ``kv:KEY``:

    docker compose exec db redis-cli get hits

Every response names the container that served it in ``X-Served-By``, so
requests spread over ``--scale app=3`` replicas show.

    gunicorn --bind 0.0.0.0:5000 'app:create_app()'
"""

import os
import socket

import redis
from flask import Flask, Response, jsonify, redirect, render_template_string, request, url_for
from redis.backoff import NoBackoff
from redis.retry import Retry

COUNTER = "hits"
KEY_PREFIX = "kv:"
MAX_VALUE_BYTES = 64 * 1024

PAGE = """\
<!doctype html>
<html lang="fr">
<head><meta charset="utf-8"><title>TP 1.5 - Compose</title></head>
<body>
<h1>TP 1.5 : app + Redis derrière NGINX</h1>
<p>Visites : <strong id="visits">{{ visits }}</strong></p>
<p>Servi par le conteneur <code id="served-by">{{ hostname }}</code></p>
<form method="post" action="{{ url_for('store_from_form') }}">
  <label>Clé <input name="key" required></label>
  <label>Valeur <input name="value"></label>
  <button>Enregistrer dans Redis</button>
</form>
<p>API : <code>PUT /kv/CLÉ</code> (la valeur dans le corps), <code>GET /kv/CLÉ</code>.</p>
</body>
</html>
"""


def redis_address() -> tuple[str, int]:
    """The Redis the environment names: REDIS_HOST (default db), REDIS_PORT (6379)."""
    return os.environ.get("REDIS_HOST", "db"), int(os.environ.get("REDIS_PORT", "6379"))


def connect(host: str, port: int) -> redis.Redis:
    """A client of the Redis at host:port; it connects at its first command."""
    return redis.Redis(
        host=host,
        port=port,
        decode_responses=True,
        socket_connect_timeout=2,
        socket_timeout=5,
        # One quick retry covers a pooled connection that a Redis restart closed;
        # redis-py's default (10 retries with backoff) would keep a request
        # waiting for seconds before saying that Redis is down.
        retry=Retry(NoBackoff(), 1),
    )


def create_app(store: redis.Redis | None = None) -> Flask:
    """The app, storing in the Redis the environment names, or in ``store`` (a
    client the tests give; messages still name REDIS_HOST:REDIS_PORT)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_VALUE_BYTES
    host, port = redis_address()
    db = store if store is not None else connect(host, port)
    hostname = socket.gethostname()

    @app.after_request
    def served_by(response: Response) -> Response:
        response.headers["X-Served-By"] = hostname
        return response

    @app.errorhandler(redis.exceptions.ConnectionError)
    @app.errorhandler(redis.exceptions.TimeoutError)
    def redis_unreachable(error: redis.exceptions.RedisError):
        message = (f"Redis at {host}:{port} is unreachable ({error}). Check that the db service "
                   "runs (`docker compose ps db`), that REDIS_HOST and REDIS_PORT name it, "
                   "and that app and db share a network.")
        app.logger.error("%s", message)
        return jsonify(error=message), 503

    @app.get("/")
    def home():
        visits = db.incr(COUNTER)
        wanted = request.accept_mimetypes.best_match(["text/html", "application/json"])
        if wanted == "application/json":
            return jsonify(visits=visits, hostname=hostname)
        return render_template_string(PAGE, visits=visits, hostname=hostname)

    @app.get("/kv/<key>")
    def read(key: str):
        value = db.get(KEY_PREFIX + key)
        if value is None:
            return jsonify(error=f"no value stored under {key!r}"), 404
        return jsonify(key=key, value=value)

    @app.put("/kv/<key>")
    def write(key: str):
        value = request.get_data(as_text=True)
        db.set(KEY_PREFIX + key, value)
        return jsonify(key=key, value=value), 201

    @app.post("/kv")
    def store_from_form():
        key = request.form.get("key", "").strip()
        if not key or "/" in key:
            return jsonify(error="the form needs a key, without '/'"), 400
        db.set(KEY_PREFIX + key, request.form.get("value", ""))
        return redirect(url_for("read", key=key), code=303)

    return app

