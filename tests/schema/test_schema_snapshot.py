"""schema.graphql is exactly the schema the code builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gateway.app import export_schema

SNAPSHOT = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_schema_graphql_matches_the_code() -> None:
    assert SNAPSHOT.read_text() == export_schema(), (
        "schema.graphql is stale: run `python -m gateway export-schema > schema.graphql`"
    )


def test_the_cli_exports_the_same_schema() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "export-schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == SNAPSHOT.read_text()
