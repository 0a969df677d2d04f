"""The ceiling of this stack: bare Flask + Flask-SQLAlchemy on the same PostgreSQL.

Served by the same gunicorn settings as the shop (`bench.baseline_app:create_app()`):
- `GET /select`: one `SELECT 1`;
- `POST /update`: one `UPDATE … RETURNING` on a small counter table, committed;
- `GET /page`: renders BENCH_PAGE_TEMPLATE (a template as big as the shop's catalog
  page), without touching the database.
The runner creates `bench_counter` before starting it (bench/dataset.py).
"""
import os
import random

from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from jinja2 import FileSystemLoader
from sqlalchemy import text

db = SQLAlchemy()
COUNTER_ROWS = 100


def create_app(database_url: str | None = None, page_template: str | None = None) -> Flask:
    """Arguments for in-process use; gunicorn's `create_app()` reads the environment."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url or os.environ["DATABASE_URL"]
    db.init_app(app)
    template = page_template or os.environ.get("BENCH_PAGE_TEMPLATE")
    if template:
        app.jinja_loader = FileSystemLoader(os.path.dirname(template))
    page_name = os.path.basename(template) if template else None

    @app.get("/select")
    def select_one():
        return {"value": db.session.execute(text("SELECT 1")).scalar_one()}

    @app.post("/update")
    def update_counter():
        row = random.randint(1, COUNTER_ROWS)
        value = db.session.execute(
            text("UPDATE bench_counter SET value = value + 1 WHERE id = :id RETURNING value"),
            {"id": row},
        ).scalar_one()
        db.session.commit()
        return {"value": value}

    @app.get("/page")
    def page():
        return render_template(page_name, products=range(5))

    return app
