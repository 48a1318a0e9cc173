"""The vocabulary of the domain: visit statuses, sources, rights, roles."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from bookings.errors import MissingRight


class Attendance(IntEnum):
    """Visit status; the numbers are the codes of the upload file."""

    NO_SHOW = -1
    PENDING = 0
    ARRIVED = 1
    CONFIRMED = 2

    @property
    def label(self) -> str:
        return {-1: "No-Show", 0: "Pending", 1: "Arrived", 2: "Confirmed"}[self.value]


class Source(StrEnum):
    """Where a booking came from. Online ones were made by the client."""

    ADMIN = "admin"
    WIDGET = "online widget"
    MOBILE_APP = "mobile app"
    SOCIAL = "social link"
    API = "api"
    EXCEL = "excel upload"

    @property
    def online(self) -> bool:
        return self in (Source.WIDGET, Source.MOBILE_APP, Source.SOCIAL)


class Right(StrEnum):
    """Per-user rights (DOMAIN.md). The viewing period is a number beside them."""

    VIEW_BOOKINGS = "view_bookings"
    SEE_PHONES = "see_phones"
    EXPORT = "export"
    EDIT_BOOKINGS = "edit_bookings"
    DELETE_BOOKINGS = "delete_bookings"
    DELETE_PAID = "delete_paid_bookings"
    DELETE_ARRIVED = "delete_arrived_bookings"
    UPLOAD = "upload_bookings"
    MANAGE_SETTINGS = "manage_settings"

    @property
    def description(self) -> str:
        return RIGHT_DESCRIPTIONS[self]


RIGHT_DESCRIPTIONS = {
    Right.VIEW_BOOKINGS: "open the Overview > Bookings list",
    Right.SEE_PHONES: "see clients' phone numbers (masked otherwise, in exports too)",
    Right.EXPORT: "request downloads and fetch files from the Data log",
    Right.EDIT_BOOKINGS: "change bookings",
    Right.DELETE_BOOKINGS: "delete bookings",
    # Both also guard changing such a booking (editing.py): the words say so.
    Right.DELETE_PAID: "delete or change bookings paid in full",
    Right.DELETE_ARRIVED: "delete or change bookings marked Arrived",
    Right.UPLOAD: "upload bookings from Excel (full access)",
    Right.MANAGE_SETTINGS: "manage users, rights, staff, services, categories, interval",
}


class Role(StrEnum):
    OWNER = "owner"
    ADMINISTRATOR = "administrator"
    EMPLOYEE = "employee"


# A role is a preset: the rights a new user of that role starts with, and the
# viewing period (days into the past; None = unlimited). The owner may change
# any of them per user afterwards.
ROLE_PRESETS: dict[Role, tuple[frozenset[Right], int | None]] = {
    Role.OWNER: (frozenset(Right), None),
    Role.ADMINISTRATOR: (
        frozenset(
            {
                Right.VIEW_BOOKINGS,
                Right.SEE_PHONES,
                Right.EXPORT,
                Right.EDIT_BOOKINGS,
                Right.DELETE_BOOKINGS,
            }
        ),
        None,
    ),
    Role.EMPLOYEE: (frozenset({Right.VIEW_BOOKINGS}), 30),
}


class Scope(StrEnum):
    """Which bookings a user sees, beside the viewing period (Altegio's viewing scope)."""

    ALL = "all"
    OWN = "own"  # only the bookings made to the employee the user is linked to

    @property
    def description(self) -> str:
        return {"all": "all bookings",
                "own": "own bookings: only bookings made to their employee"}[self.value]


# The scope a new user of the role starts with, part of the role's preset (kept
# apart from ROLE_PRESETS, whose pairs are unpacked in many places). A new
# employee sees no bookings until Settings links the user to their staff entry.
ROLE_SCOPES: dict[Role, Scope] = {
    Role.OWNER: Scope.ALL,
    Role.ADMINISTRATOR: Scope.ALL,
    Role.EMPLOYEE: Scope.OWN,
}

# The four booking categories every business has; they cannot be removed.
BUILTIN_BOOKING_CATEGORIES = (
    (1, "Full online payment", "#2e7d32"),
    (2, "Partial online payment", "#f9a825"),
    (3, "This specialist only", "#1565c0"),
    (4, "Any staff member", "#6a1b9a"),
)

BOOKING_INTERVALS_MIN = (5, 10, 15)
DEFAULT_BOOKING_INTERVAL_MIN = 15


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    email: str
    role: Role
    active: bool
    rights: frozenset[Right] = field(default_factory=frozenset)
    viewing_period_days: int | None = None
    staff_id: int | None = None  # the employee this user is; None = not linked
    scope: str = "all"  # a Scope: 'own' sees only the bookings made to staff_id

    def can(self, right: Right) -> bool:
        return self.active and right in self.rights

    def require(self, right: Right) -> None:
        if not self.can(right):
            raise MissingRight(f"{self.login} may not {right.description}: their account "
                               "does not have that right.", right)

    def as_json(self) -> dict:
        return {
            "login": self.login,
            "name": self.name,
            "email": self.email,
            "role": self.role.value,
            "active": self.active,
            "rights": sorted(r.value for r in self.rights),
            "viewing_period_days": self.viewing_period_days,
            "staff_id": self.staff_id,
            "scope": self.scope,
        }

    @property
    def is_system(self) -> bool:
        """The system acting (SYSTEM), not a person."""
        return self is SYSTEM


# What acts when no person does: the command line without --user, the export
# worker's own work, the demo, benchmarks and tests. It sees every booking and
# phone and holds every right; it is never a signed-in person (no row in users,
# no session), and what it does is recorded with no actor.
SYSTEM = User(id=0, login="system", name="the system", email="", role=Role.OWNER, active=True,
              rights=frozenset(Right), viewing_period_days=None, staff_id=None,
              scope=Scope.ALL.value)
