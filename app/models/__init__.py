"""All tables, imported here so the metadata and migrations see every one."""

from app.models.accounts import LoginFailureCount, ServiceClient, UserAccount
from app.models.audit import AuditEvent
from app.models.base import new_id, utcnow
from app.models.case import Answer, Case
from app.models.evidence import CriterionJudgement, EvidenceItem
from app.models.framework import Framework
from app.models.idempotency import IdempotencyRecord
from app.models.imports import CaseImport
from app.models.inspection import Inspection
from app.models.letter import FindingsLetter
from app.models.prison_tests import HealthyPrisonTest
from app.models.ratings import RatingOverride
from app.models.reference import Establishment, Programme, Region, Trust
from app.models.review import CaseReview, SecondReading, SecondReadingAnswer
from app.models.survey import SurveyAnswer, SurveyResponse
from app.models.tally import AnswerTally, FacetTally, QuestionTally
from app.models.webhook import TrustWebhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "Answer",
    "AnswerTally",
    "AuditEvent",
    "Case",
    "CaseImport",
    "CaseReview",
    "CriterionJudgement",
    "Establishment",
    "EvidenceItem",
    "FacetTally",
    "FindingsLetter",
    "Framework",
    "HealthyPrisonTest",
    "IdempotencyRecord",
    "Inspection",
    "LoginFailureCount",
    "Programme",
    "QuestionTally",
    "RatingOverride",
    "Region",
    "SecondReading",
    "SecondReadingAnswer",
    "ServiceClient",
    "SurveyAnswer",
    "SurveyResponse",
    "Trust",
    "TrustWebhook",
    "UserAccount",
    "WebhookAttempt",
    "WebhookDelivery",
    "new_id",
    "utcnow",
]
