"""Where a case import spends its time: the import service run in-process under cProfile.

    .venv/bin/python -m bench.profile_import --database-url postgresql --cases 20000

Runs the same code the endpoint runs (bulk_import.run with a CaseImporter) on a
generated file, without HTTP, and prints the functions with the most cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from sqlmodel import Session

from app import db
from app.auth.permissions import Principal, Role
from app.models import Inspection
from app.models.imports import ImportMode
from app.services.imports import bulk as bulk_import
from app.services.imports.bulk import ImportOptions
from app.services.imports.case_import import CaseImporter
from app.services.imports.readers import Format, ImportFile
from bench.bench_db import add_database_argument, configure_service_environment, scratch_database
from bench.import_data import write_cases_csv
from bench.import_loads import CHUNK, framework_plan, new_inspection


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    configure_service_environment()
    with scratch_database(args.database_url), tempfile.TemporaryDirectory() as folder:
        engine = db.get_engine()
        framework_id, index, _ = framework_plan(engine, "omi-custody-2011")
        path = Path(folder) / "cases.csv"
        write_cases_csv(path, args.cases, index)
        inspection_id = new_inspection(engine, framework_id)
        profile = cProfile.Profile()
        with Session(engine, expire_on_commit=False) as session:
            inspection = session.get(Inspection, inspection_id)
            assert inspection is not None
            principal = Principal("bench", "user", "bench", frozenset({Role.admin}))
            options = ImportOptions(ImportMode.create, dry_run=False)
            importer = CaseImporter(session, inspection, ImportMode.create)
            profile.enable()
            result = bulk_import.run(
                session,
                principal,
                inspection,
                options,
                lambda: ImportFile(Format.csv, _chunks(path), "text/csv"),
                importer,
            )
            session.commit()
            profile.disable()
        print(result.model_dump())
    pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)
    return 0


def _chunks(path: Path):  # type: ignore[no-untyped-def]
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


if __name__ == "__main__":
    sys.exit(main())
