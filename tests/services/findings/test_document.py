"""Provisional findings as one typed document: HTML and PDF carry the same words, with the
healthy prison tests, the judgements, each figure's source and the low-base notes."""

from __future__ import annotations

import io
import re
from typing import Any

from pypdf import PdfReader

from app.models.scores import ProvisionalFindings
from app.services.documents.render import render_html, render_pdf
from app.services.findings.document import findings_document
from tests.services.letters.test_render import html_text


def make_findings() -> ProvisionalFindings:
    agreement: dict[str, Any] = {
        "code": "all",
        "text": "All",
        "pairs": 0,
        "agreed": 0,
        "percent_agreement": None,
        "kappa": None,
        "low_agreement": False,
    }
    return ProvisionalFindings.model_validate({
        "inspection": {"id": "i-1", "programme": "pomi", "status": "fieldwork",
                       "fieldwork_start": "2011-09-12", "fieldwork_end": None},
        "establishment": {"code": "durham", "name": "HMP Durham"}, "trust": None,
        "cases": 20, "cases_approved": 18, "generated_at": "2011-09-16T15:00:00Z",
        "themes": [{"code": "public-protection", "title": "Public Protection", "mean": 60.8,
                    "key_min": 55.0, "questions": [
            {"code": "rmp_sufficient", "instrument": "case_file",
             "text": "Was there a sufficient risk management plan?",
             "yes": 11, "relevant": 20, "percent": 55.0, "low_base": False},
            {"code": "survey_safe", "instrument": "prisoner_survey", "text": "Do you feel safe?",
             "yes": 2, "relevant": 3, "percent": 66.7, "low_base": True}]}],
        "strengths": [], "improvements": [],
        "recommendations": ["Review every plan."], "good_practice": [],
        "judgements": [{"criterion": "4.6d", "inspectorate": "hmi-probation", "text": "Risk of harm is managed",
                        "judgement": "met", "narrative": "Plans were thorough."}],
        "agreement": {"second_readings": 0, "overall": agreement, "low_agreement": []},
        "healthy_prison_tests": [{"test": "safety", "title": "Safety", "score": 3,
                                  "label": "reasonably good", "rationale": "Most felt safe.",
                                  "updated_by": None, "updated_at": None}],
    })  # fmt: skip


def test_findings_html_and_pdf_say_the_same() -> None:
    document = findings_document(make_findings())
    page = html_text(render_html(document))
    pdf = PdfReader(io.BytesIO(render_pdf(document)))
    text = " ".join(" ".join(p.extract_text() for p in pdf.pages).split())
    for phrase in (
        "Joint provisional findings: HMP Durham",
        "Was there a sufficient risk management plan? case file 11 20 55.0%",
        "Do you feel safe? survey 2 3 66.7% *",
        "* Low base: fewer than 5 relevant cases",
        "Healthy prison tests",
        "Safety 3: reasonably good Most felt safe.",
        "4.6d Risk of harm is managed Met Plans were thorough.",
        "Cases approved 18 of 20",
    ):
        assert phrase in page
        assert phrase in text
    assert bool(pdf.trailer["/Root"]["/MarkInfo"]["/Marked"])
    assert re.search(r"page 1 of \d", text)
