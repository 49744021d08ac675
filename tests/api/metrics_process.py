"""One API process of a multiprocess test: `write NAME` registers model NAME and asks for one
that does not exist; `scrape` prints GET /metrics. The store and the metrics directory come from
the environment (MODELGOV_*, PROMETHEUS_MULTIPROC_DIR), as `serve` hands them to its processes."""

from __future__ import annotations

import sys

from fastapi.testclient import TestClient

from infrastructure.api.app import create_app
from infrastructure.api.tokens import TokenStore
from infrastructure.db.sql import SqlRunner
from infrastructure.settings import get_settings
from tests.api.conftest import MODEL


def main(what: str, name: str = "") -> None:
    settings = get_settings()
    sql = SqlRunner(settings.database)
    with TestClient(create_app(settings, project=False)) as client:
        role = "ml_engineer" if what == "write" else "itops_engineer"
        token = TokenStore(sql).create(principal=f"{role}-{name or 'scraper'}", role=role)
        headers = {"Authorization": f"Bearer {token}"}
        if what == "write":
            assert (
                client.post("/v1/models", json={**MODEL, "name": name}, headers=headers).status_code
                == 201
            )
            assert client.get("/v1/models/absent", headers=headers).status_code == 404
        else:
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 200, response.text
            sys.stdout.write(response.text)
    sql.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
