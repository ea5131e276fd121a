"""All models, imported here so that metadata (and Alembic) sees every table."""

from app.models.audit import AuditEvent
from app.models.base import Base, utcnow
from app.models.connections import StripeConnection
from app.models.earnings import PaymentCharge, SyncRun
from app.models.invitations import Invitation, PasswordResetToken
from app.models.mail import OutboundMail
from app.models.notifications import Notification
from app.models.onboarding_invites import BulkInviteBatch, OnboardingInvite, OnboardingReminder
from app.models.payments import PaymentsAccount
from app.models.servers import Server
from app.models.tokens import ApiToken
from app.models.users import LoginSession, User
from app.models.webhooks import WebhookEvent
from app.models.workspaces import Membership, Workspace

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "BulkInviteBatch",
    "Invitation",
    "LoginSession",
    "Membership",
    "Notification",
    "OnboardingInvite",
    "OnboardingReminder",
    "OutboundMail",
    "PasswordResetToken",
    "PaymentCharge",
    "PaymentsAccount",
    "Server",
    "StripeConnection",
    "SyncRun",
    "User",
    "WebhookEvent",
    "Workspace",
    "utcnow",
]
