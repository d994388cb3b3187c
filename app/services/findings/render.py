"""The joint provisional findings feedback page for a prison's senior managers, as HTML."""

from __future__ import annotations

from typing import Any

from app.rules.thresholds import LOW_BASE, is_low_base
from app.services.letters.render import (
    AUTHOR,
    PARTNER,
    TEMPLATES,
    fieldwork_period,
    format_date,
    format_percent,
    judgement_label,
)


def _question_row(question: dict[str, Any]) -> dict[str, Any]:
    relevant = question.get("relevant") or 0
    return {
        "text": question["text"],
        "yes": question.get("yes", 0),
        "relevant": relevant,
        "percent": format_percent(question.get("percent")),
        "low_base": bool(question.get("low_base")) or is_low_base(relevant),
    }


def _highlight(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "text": item["text"],
        "percent": format_percent(item.get("percent")),
        "relevant": item.get("relevant"),
    }


def findings_view(findings: dict[str, Any]) -> dict[str, Any]:
    """The provisional findings with every figure formatted for display."""
    inspection = findings.get("inspection") or {}
    subject = findings.get("establishment") or findings.get("trust") or {}
    themes = [
        {
            "title": theme.get("title") or theme["code"],
            "mean": format_percent(theme.get("mean")),
            "key_min": format_percent(theme.get("key_min")),
            "questions": [_question_row(question) for question in theme.get("questions", [])],
        }
        for theme in findings.get("themes", [])
    ]
    return {
        "title": f"Joint provisional findings: {subject.get('name', 'inspection')}",
        "subject": subject.get("name", ""),
        "programme": inspection.get("programme", ""),
        "status": (inspection.get("status") or "").replace("_", " "),
        "period": fieldwork_period(
            inspection.get("fieldwork_start"), inspection.get("fieldwork_end")
        ),
        "cases": findings.get("cases", 0),
        "generated": format_date(findings.get("generated_at")),
        "themes": themes,
        "any_low_base": any(q["low_base"] for theme in themes for q in theme["questions"]),
        "strengths": [_highlight(item) for item in findings.get("strengths", [])],
        "improvements": [_highlight(item) for item in findings.get("improvements", [])],
        "recommendations": list(findings.get("recommendations", [])),
        "good_practice": list(findings.get("good_practice", [])),
        "judgements": [
            {
                "criterion": j["criterion"],
                "text": j.get("text") or "",
                "judgement": judgement_label(j.get("judgement")),
                "narrative": j.get("narrative") or "",
            }
            for j in findings.get("judgements", [])
        ],
        **_beside_the_figures(findings),
    }


def _beside_the_figures(findings: dict[str, Any]) -> dict[str, Any]:
    """Case review, agreement of second readings and healthy prison tests (SPEC 14, 15)."""
    agreement = findings.get("agreement") or {}
    overall = agreement.get("overall") or {}
    return {
        "cases_approved": findings.get("cases_approved", 0),
        "second_readings": agreement.get("second_readings", 0),
        "agreement_overall": {
            "pairs": overall.get("pairs", 0),
            "percent": format_percent(overall.get("percent_agreement")),
            "kappa": _kappa(overall.get("kappa")),
        },
        "low_agreement": [
            {
                "text": row["text"],
                "pairs": row["pairs"],
                "percent": format_percent(row.get("percent_agreement")),
                "kappa": _kappa(row.get("kappa")),
            }
            for row in agreement.get("low_agreement", [])
        ],
        "healthy_prison_tests": [
            {
                "title": test["title"],
                "score": test.get("score"),
                "label": test.get("label") or "not yet scored",
                "rationale": test.get("rationale") or "",
            }
            for test in findings.get("healthy_prison_tests") or []
        ],
    }


def _kappa(value: float | None) -> str:
    return "not defined" if value is None else f"{value:.2f}"


def render_findings_html(findings: dict[str, Any]) -> str:
    """A standalone, printable HTML page of the joint provisional findings."""
    return TEMPLATES.get_template("findings.html").render(
        view=findings_view(findings), author=AUTHOR, partner=PARTNER, low_base=LOW_BASE
    )
