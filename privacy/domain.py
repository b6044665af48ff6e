"""A data subject's erasure: commands, events, state, decide and evolve. Pure Python.

Each data subject (a customer, ``user:<id>``; a guest's order, ``order:<stream id>``) has
a stream of its own, named by ``subject_stream``. Erasing them appends one
``PersonalDataErased``, which holds no personal data: the subject's id, the keys it
destroyed (its own, and those of the guest orders it had claimed), the streams whose
copies were removed, why, and when. A subject is erased once: a second request is refused.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

STREAM_TYPE = "data-subject"
_NAMESPACE = uuid.UUID("6f4f9c3e-2a51-4a1e-9a53-3d8cbb0e2f20")


def subject_stream(subject: str) -> UUID:
    """The stream of a data subject (the same id every time)."""
    return uuid.uuid5(_NAMESPACE, subject)


class Reason(StrEnum):
    CUSTOMER = "customer's request"  # "Delete my account"
    STAFF = "staff request"  # the admin's "Erase personal data"
    RETENTION = "retention period"  # manage.py apply_retention


@dataclass(frozen=True, slots=True, kw_only=True)
class ErasePersonalData:
    subject: str
    keys: tuple[str, ...]  # the subjects whose keys go (the subject's own first)
    streams: tuple[UUID, ...]
    reason: Reason
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PersonalDataErased:
    subject: str
    keys: tuple[str, ...]
    streams: tuple[UUID, ...]
    reason: Reason
    erased_at: datetime


EVENTS = (PersonalDataErased,)
type Event = PersonalDataErased

COMMANDS: dict[type, tuple[type, ...]] = {ErasePersonalData: (PersonalDataErased,)}


@dataclass(frozen=True, slots=True)
class DataSubject:
    erased: bool = False
    erased_at: datetime | None = None


INITIAL = DataSubject()


class PrivacyError(Exception):
    """A request the data subject's stream refuses; the message is fit to show a person."""


class AlreadyErased(PrivacyError):
    def __init__(self) -> None:
        super().__init__("This personal data has been erased already.")


def decide(command: ErasePersonalData, state: DataSubject) -> list[Event]:
    match command, state:
        case _, DataSubject(erased=True):
            raise AlreadyErased()
        case ErasePersonalData(), _:
            return [
                PersonalDataErased(
                    subject=command.subject,
                    keys=command.keys,
                    streams=command.streams,
                    reason=command.reason,
                    erased_at=command.at,
                )
            ]
    raise TypeError(f"unknown command {command!r}")


def evolve(state: DataSubject, event: Event) -> DataSubject:
    match event:
        case PersonalDataErased(erased_at=at):
            return DataSubject(erased=True, erased_at=at)
        case _:
            return state
