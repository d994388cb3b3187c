"""The provisional findings page carries every figure, flags low bases and escapes text."""

from __future__ import annotations

from typing import Any

from app.services.findings.render import render_findings_html
from tests.services.letters.test_render import html_text


def make_findings(**changes: Any) -> dict[str, Any]:
    findings = {
        "inspection": {"id": "inspection-1", "programme": "pomi", "status": "fieldwork",
                       "fieldwork_start": "2011-09-12", "fieldwork_end": None},
        "establishment": {"code": "durham", "name": "HMP Durham"},
        "trust": None,
        "cases": 20,
        "generated_at": "2011-09-16T15:00:00Z",
        "themes": [
            {"code": "public-protection", "title": "Public Protection", "mean": 58.1, "key_min": 55.0,
             "questions": [
                 {"code": "rmp_sufficient", "text": "Was there a sufficient risk management plan?",
                  "yes": 11, "relevant": 20, "percent": 55.0, "low_base": False},
                 {"code": "mappa_referral", "text": "Was the case referred to MAPPA where needed?",
                  "yes": 2, "relevant": 3, "percent": 66.7, "low_base": True},
             ]},
            {"code": "sentence-planning", "title": "Sentence Planning", "mean": 85.0, "key_min": None,
             "questions": [
                 {"code": "sentence_plan_completed", "text": "Was a sentence plan completed on time?",
                  "yes": 17, "relevant": 20, "percent": 85.0, "low_base": False},
             ]},
        ],
        "strengths": [{"code": "sentence_plan_completed", "text": "Was a sentence plan completed on time?",
                       "percent": 85.0, "relevant": 20}],
        "improvements": [{"code": "rmp_sufficient", "text": "Was there a sufficient risk management plan?",
                          "percent": 40.0, "relevant": 20}],
        "recommendations": ["Review every risk management plan after a significant event."],
        "good_practice": ["Offender supervisors met each prisoner within a week of arrival."],
        "judgements": [{"criterion": "4.6d", "text": "Risk of harm is managed",
                        "judgement": "met", "narrative": "Plans were thorough."}],
    }  # fmt: skip
    findings.update(changes)
    return findings


def test_every_figure_appears() -> None:
    findings = make_findings()
    text = html_text(render_findings_html(findings))
    assert "Joint provisional findings" in text
    assert "HMP Durham" in text
    assert "beginning 12 September 2011" in text
    assert "16 September 2011" in text
    for theme in findings["themes"]:
        assert theme["title"] in text
        assert f"{theme['mean']:.1f}%" in text
        for question in theme["questions"]:
            assert question["text"] in text
            row = f"{question['text']} {question['yes']} {question['relevant']} {question['percent']:.1f}%"
            assert row in text
    assert "n/a" in text  # sentence planning has no key_min
    for item in findings["strengths"] + findings["improvements"]:
        assert (
            f"{item['text']} \u2013 {item['percent']:.1f}% of {item['relevant']} relevant cases"
            in text
        )
    for entry in findings["recommendations"] + findings["good_practice"]:
        assert entry in text
    assert "4.6d Risk of harm is managed Met Plans were thorough." in text


def test_low_base_is_marked_with_a_footnote() -> None:
    text = html_text(render_findings_html(make_findings()))
    assert "66.7% *" in text
    assert "55.0% *" not in text
    assert "fewer than 5 relevant cases" in text


def test_low_base_follows_the_relevant_count_and_footnote_only_when_needed() -> None:
    findings = make_findings()
    question = findings["themes"][0]["questions"][1]
    question["low_base"] = False
    assert "66.7% *" in html_text(render_findings_html(findings))
    question["relevant"] = 5
    text = html_text(render_findings_html(findings))
    assert "66.7% *" not in text
    assert "fewer than 5 relevant cases" not in text


def test_community_inspection_names_the_trust() -> None:
    findings = make_findings(
        establishment=None, trust={"code": "dtv", "name": "Durham Tees Valley"}
    )
    assert "Durham Tees Valley" in html_text(render_findings_html(findings))


def test_escapes_hostile_text() -> None:
    findings = make_findings(
        recommendations=["<script>alert(1)</script>"],
        good_practice=["<img src=x onerror=alert(1)>"],
    )
    page = render_findings_html(findings)
    assert "<script>" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_empty_sections_are_left_out() -> None:
    findings = make_findings(strengths=[], improvements=[], good_practice=[], judgements=[])
    text = html_text(render_findings_html(findings))
    assert "Strengths" not in text
    assert "Good practice" not in text
    assert "Judgements against the criteria" not in text
    assert "Recommendations" in text
