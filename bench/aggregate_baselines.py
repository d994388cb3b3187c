"""What the aggregates are measured against: hand-written SQL over the tally the service
reads and over the raw answers, and DuckDB counting the cases CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

# The counts a pooled table needs, written by hand: per question and value, how many
# answers and how many of them count yes and no, over the framework's inspections that
# are under way or done (the service's default status filter).
POOLED_SQL = """
SELECT {group} a.question_code, a.value, count(*),
       sum(CASE WHEN a.sufficient THEN 1 ELSE 0 END),
       sum(CASE WHEN NOT a.sufficient THEN 1 ELSE 0 END)
FROM answer a
JOIN inspection_case c ON c.id = a.case_id
JOIN inspection i ON i.id = c.inspection_id
WHERE i.framework_id = :framework AND i.status IN ('fieldwork', 'reporting', 'published')
GROUP BY {group} a.question_code, a.value
"""
GROUP_COLUMNS = {
    None: "",
    "establishment": "i.establishment_code,",
    "os_grade": "c.os_grade,",
    "rosh": "c.rosh,",
    "sex": "c.sex,",
    "sentence_type": "c.sentence_type,",
    "in_scope": "c.in_scope,",
    "age_band": "CASE WHEN c.age_at_sentence >= 50 THEN '50+' WHEN c.age_at_sentence >= 25 "
    "THEN '25-49' WHEN c.age_at_sentence >= 21 THEN '21-24' WHEN c.age_at_sentence >= 18 "
    "THEN '18-20' END,",
    "establishment_type,os_grade": "e.type, c.os_grade,",
}
# A pair with the establishment's type needs the establishment too.
ESTABLISHMENT_JOIN = "LEFT JOIN establishment e ON e.code = i.establishment_code"

# The floor for what the service sums from answer_tally: the same sum over the tally itself.
TALLY_SQL = """
SELECT {group} t.question_code, t.value, sum(t.answer_count), sum(t.yes_count), sum(t.no_count)
FROM answer_tally t
JOIN inspection i ON i.id = t.inspection_id
WHERE i.framework_id = :framework AND i.status IN ('fieldwork', 'reporting', 'published')
GROUP BY {group} t.question_code, t.value
"""
TALLY_GROUPS = {None: "", "establishment": "i.establishment_code,", "in_scope": "t.in_scope,"}
# For a fact of the case, the same sum over facet_tally, which the service reads for it.
FACET_SQL = """
SELECT {group} NULLIF(t.facet_value, ''), t.question_code, t.value,
       sum(t.answer_count), sum(t.yes_count), sum(t.no_count)
FROM facet_tally t
JOIN inspection i ON i.id = t.inspection_id
{join}
WHERE t.facet = :facet AND i.framework_id = :framework
  AND i.status IN ('fieldwork', 'reporting', 'published')
GROUP BY {group} NULLIF(t.facet_value, ''), t.question_code, t.value
"""
FACETS = ("os_grade", "rosh", "sex", "sentence_type", "age_band")


def tally_counts(session: Session, framework_id: str, group_by: str | None) -> list[Any] | None:
    """The hand-written sum over the tally the service reads for this group; None when the
    service counts the raw answers for it."""
    parameters = {"framework": framework_id}
    if group_by in TALLY_GROUPS:
        statement = text(TALLY_SQL.format(group=TALLY_GROUPS[group_by]))
    elif group_by in FACETS:
        statement = text(FACET_SQL.format(group="", join=""))
        parameters["facet"] = group_by
    elif group_by == "establishment_type,os_grade":
        statement = text(FACET_SQL.format(group="e.type,", join=ESTABLISHMENT_JOIN))
        parameters["facet"] = "os_grade"
    else:
        return None
    return list(session.connection().execute(statement, parameters).all())


def answer_counts(session: Session, framework_id: str, group_by: str | None) -> list[Any]:
    """The same counts by hand-written SQL over the raw answers and their cases."""
    sql = POOLED_SQL.format(group=GROUP_COLUMNS[group_by])
    if group_by and "establishment_type" in group_by:
        sql = sql.replace("WHERE", ESTABLISHMENT_JOIN + "\nWHERE", 1)
    return list(session.connection().execute(text(sql), {"framework": framework_id}).all())


# The rows the case-level extract reads: the cases with their inspection and establishment,
# then their answers, each read to the end.
EXTRACT_CASES_SQL = """
SELECT c.*, i.programme_code, i.fieldwork_start, i.establishment_code, e.type, e.region_code
FROM inspection_case c
JOIN inspection i ON i.id = c.inspection_id
LEFT JOIN establishment e ON e.code = i.establishment_code
WHERE i.framework_id = :framework AND i.status IN ('fieldwork', 'reporting', 'published')
ORDER BY i.fieldwork_start, i.id, c.case_ref
"""
EXTRACT_ANSWERS_SQL = """
SELECT a.case_id, a.question_code, a.value
FROM answer a
JOIN inspection_case c ON c.id = a.case_id
JOIN inspection i ON i.id = c.inspection_id
WHERE i.framework_id = :framework AND i.status IN ('fieldwork', 'reporting', 'published')
"""


def sql_extract(session: Session, framework_id: str) -> int:
    """Every case and answer the extract reads, fetched to the end; the rows read."""
    connection = session.connection()
    read = 0
    for statement in (EXTRACT_CASES_SQL, EXTRACT_ANSWERS_SQL):
        result = connection.execute(
            text(statement),
            {"framework": framework_id},
            execution_options={"stream_results": True, "yield_per": 1000},
        )
        for partition in result.partitions(1000):
            read += len(partition)
    return read


def duckdb_counts(path: Path, group_by: str | None) -> list[Any]:
    """Per question and value (per establishment for that group), how many answers: DuckDB
    reading the cases CSV afresh, with no index or table of its own, as an analyst would."""
    import duckdb

    group = "establishment, " if group_by == "establishment" else ""
    connection = duckdb.connect()
    try:
        return connection.execute(
            f"""
            SELECT {group} q, v, count(*)
            FROM (
                UNPIVOT read_csv(?, all_varchar = true, header = true)
                ON COLUMNS(* EXCLUDE (establishment)) INTO NAME q VALUE v
            )
            GROUP BY ALL
            """,
            [str(path)],
        ).fetchall()
    finally:
        connection.close()
