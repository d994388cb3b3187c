"""A small valid framework document, the shape of app/reference/omi-custody-2011.yaml."""

from __future__ import annotations

from typing import Any


def minimal_framework(code: str, first_question: str = "Is there a plan?") -> dict[str, Any]:
    """Two sections, two themes, one criterion, and one instrument of each subject.

    Its questions use every feature the validator checks: criteria, a key question, a
    choice question, and conditions on a case field and on another question.
    """
    return {
        "code": code,
        "title": f"Test framework {code}",
        "inspectorates": ["hmi-probation"],
        "sections": [
            {"code": "1", "title": "Assessment"},
            {"code": "2", "title": "Delivery"},
        ],
        "themes": [
            {"code": "planning", "title": "Planning"},
            {"code": "protection", "title": "Public protection"},
        ],
        "criteria": [{"code": "1.1a", "theme": "planning", "text": "Plans are made."}],
        "instruments": [
            {
                "code": "case_file",
                "title": "Case file",
                "subject": "case",
                "questions": [
                    {
                        "code": "q_plan",
                        "section": "1",
                        "theme": "planning",
                        "text": first_question,
                        "criteria": ["1.1a"],
                        "key": True,
                    },
                    {
                        "code": "q_quality",
                        "section": "1",
                        "theme": "planning",
                        "text": "How good is the plan?",
                        "answer": "choice",
                        "choices": [
                            {"value": "good", "label": "Good", "sufficient": True},
                            {"value": "poor", "label": "Poor", "sufficient": False},
                            {"value": "none", "label": "No plan", "sufficient": None},
                        ],
                        "applies_if": {"question": "q_plan", "equals": "yes"},
                    },
                    {
                        "code": "q_risk",
                        "section": "2",
                        "theme": "protection",
                        "text": "Is the risk managed?",
                        "applies_if": {"field": "rosh", "in": ["high", "very_high"]},
                    },
                ],
            },
            {
                "code": "survey",
                "title": "Prisoner survey",
                "subject": "respondent",
                "questions": [
                    {
                        "code": "s_plan",
                        "section": "1",
                        "theme": "planning",
                        "text": "Do you have a plan?",
                    }
                ],
            },
        ],
    }
