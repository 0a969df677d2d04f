#!/usr/bin/env bash
# Until the first deploy, the schema is one revision: regenerate it from the models.
set -euo pipefail
cd "$(dirname "$0")/.."
db=$(mktemp -d)/regen.sqlite3
rm -f migrations/versions/0001_initial_schema.py
export FLASK_APP=giftshop DATABASE_URL="sqlite:///$db"
.venv/bin/flask db migrate -m "initial schema" --rev-id 0001
.venv/bin/flask db upgrade
.venv/bin/flask db check
