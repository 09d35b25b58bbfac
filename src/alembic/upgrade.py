# Run by `schemactl import alembic --dev` with the project's own Python: `alembic upgrade
# heads` into schemactl's throwaway database. Every SQLAlchemy engine the project's env.py
# creates is pointed at that database, whatever URL env.py computes (from alembic.ini, an
# environment variable or its settings), so the chain can never run against another one.
# Inputs come from SCHEMACTL_* environment variables; exit 3/4 name a missing package.
import importlib.util
import os
import sys


def fail(code, message):
    sys.stderr.write("schemactl: " + message + "\n")
    sys.exit(code)


try:
    import sqlalchemy
    import sqlalchemy.engine
    from sqlalchemy.engine import URL, make_url
    from sqlalchemy.engine import create as sa_create
    from alembic import command
    from alembic.config import Config
except ImportError as e:
    fail(3, "cannot import SQLAlchemy and Alembic with %s: %s" % (sys.executable, e))

env = os.environ
DRIVERS = ("psycopg2", "psycopg", "asyncpg")


def default_driver():
    for name in ("psycopg2", "psycopg"):
        if importlib.util.find_spec(name):
            return "postgresql+" + name
    fail(4, "no PostgreSQL driver for SQLAlchemy (psycopg2 or psycopg) in %s" % sys.executable)


def throwaway(requested):
    """The throwaway database's URL, with the driver `requested` names when it is one we know."""
    drivername = None
    try:
        u = make_url(requested)
        if u.get_backend_name() == "postgresql" and u.get_driver_name() in DRIVERS:
            drivername = u.drivername
    except Exception:
        pass
    return URL.create(
        drivername or default_driver(),
        username=env["SCHEMACTL_PG_USER"],
        database=env["SCHEMACTL_PG_DB"],
        query={"host": env["SCHEMACTL_PG_HOST"], "port": env["SCHEMACTL_PG_PORT"]},
    )


real_create_engine = sa_create.create_engine


def create_engine(url=None, *args, **kwargs):
    return real_create_engine(throwaway(url), *args, **kwargs)


for module in (sqlalchemy, sqlalchemy.engine, sa_create):
    module.create_engine = create_engine
try:
    import sqlalchemy.ext.asyncio.engine as async_engine

    if hasattr(async_engine, "_create_engine"):
        async_engine._create_engine = create_engine
except ImportError:
    pass

def plain(url):
    """The URL as text without percent-escapes where none are needed: env.py commonly does
    `config.set_main_option("sqlalchemy.url", os.environ[...])`, and configparser rejects a
    lone `%` (SQLAlchemy writes the socket directory's slashes as `%2F`)."""
    rendered = url.render_as_string(hide_password=False)
    parts = [url.username or "", url.database or ""] + list(url.query.values())
    if any(c in str(p) for p in parts for c in "%&#?=@: \t\n"):
        return rendered
    simple = "%s://%s@/%s?%s" % (
        url.drivername,
        url.username,
        url.database,
        "&".join("%s=%s" % kv for kv in url.query.items()),
    )
    return simple if make_url(simple) == url else rendered


ini = env.get("SCHEMACTL_ALEMBIC_INI") or None
toml = env.get("SCHEMACTL_ALEMBIC_TOML") or None
try:
    # pyproject.toml's [tool.alembic] (Alembic 1.16+), as the `alembic` command reads it.
    config = Config(ini, toml_file=toml) if toml else Config(ini)
except TypeError:
    config = Config(ini)
config.set_main_option("script_location", env["SCHEMACTL_ALEMBIC_DIR"])
url = throwaway(config.get_main_option("sqlalchemy.url"))
rendered = plain(url)
config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
for name in filter(None, env.get("SCHEMACTL_URL_ENV", "").split(",")):
    os.environ[name] = rendered
command.upgrade(config, "heads")
