"""Personal data in the append-only log: encrypted per data subject, forgotten by its key.

An event type declares which of its fields are personal and whose they are (its
``registry.Personal``, given to ``registry.register``). On append, ``seal_all`` encrypts an
event's personal values together (AES-GCM) with the subject's own data key: the first
field holds ``~pd1~<subject>~<base64 of nonce + ciphertext>``, the others a reference into
it (``~pd1~@1``). Data keys are ``DataKey`` rows, one per subject, each encrypted with
the master key ``SHOP_DATA_KEY``. On read, ``reveal_text`` and ``reveal`` (installed as
the registry's reveal hooks) decrypt them; once the subject's key is destroyed they give
``ERASED`` instead, and everything else in the event stays as it was.
So erasing a person is deleting one key (crypto-shredding): no event is ever rewritten.

``erase`` does that and, in the same transaction, removes the subject's data from every
place that copied it out of the log: the read-model columns projections declare
personal (``shop.projections.register(..., personal=...)``), the snapshots of the streams
concerned, this process's recent states of them, and whatever the apps registered with
``register_eraser`` (emails, the user row, sessions, log-in records).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.utils import timezone

from shop import registry
from shop.registry import ERASED, SEALED

__all__ = ["ERASED", "SEALED"]

MASK = "•••"  # a personal field, to staff who may not see personal data
KEY_BYTES = 32
NONCE_BYTES = 12
# The advisory lock erasure takes exclusively, and readers that copy personal data into
# tables (a rebuild, a subscriber's batch) take shared: none of them copies a value out
# while an erasure removes it.
LOCK_KEY = 0x5EC2E7


class DataKeyError(ImproperlyConfigured):
    """No master key in SHOP_DATA_KEY opens a stored data key."""


# --- The master key(s) -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MasterKey:
    id: str  # a fingerprint stored beside every key it wraps
    cipher: AESGCM


@cache
def _parse_master_keys(raw: str) -> tuple[MasterKey, ...]:
    keys = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        try:
            key = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                "SHOP_DATA_KEY must be 32 random bytes in URL-safe base64 (44 characters), "
                "or several such keys separated by commas (the first encrypts)."
            )
        keys.append(MasterKey(hashlib.sha256(key).hexdigest()[:16], AESGCM(key)))
    return tuple(keys)


def master_keys() -> tuple[MasterKey, ...]:
    """The master keys from ``SHOP_DATA_KEY``: the first wraps new keys, all unwrap."""
    keys = _parse_master_keys(settings.SHOP_DATA_KEY)
    if not keys:
        raise ImproperlyConfigured("SHOP_DATA_KEY is not set.")
    return keys


def new_master_key() -> str:
    """A fresh master key, as ``SHOP_DATA_KEY`` takes it."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def _wrap(subject: str, key: bytes) -> tuple[bytes, str]:
    master = master_keys()[0]
    nonce = os.urandom(NONCE_BYTES)
    return nonce + master.cipher.encrypt(nonce, key, subject.encode()), master.id


def _unwrap(subject: str, wrapped: bytes, master_id: str) -> bytes:
    for master in master_keys():
        if master.id == master_id:
            wrapped = bytes(wrapped)
            try:
                return master.cipher.decrypt(
                    wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], subject.encode()
                )
            except InvalidTag:
                break
    raise DataKeyError(
        f"the data key of {subject} was wrapped by master key {master_id}, which is not in "
        "SHOP_DATA_KEY (add the previous key after the new one, comma-separated)"
    )


def enabled() -> bool:
    return getattr(settings, "SHOP_ENCRYPT_PERSONAL_DATA", True)


# --- Data keys -------------------------------------------------------------------------------

_local = threading.local()


def _table() -> str:
    from shop.models import DataKey

    return connection.ops.quote_name(DataKey._meta.db_table)


def _keys_for_writing(subjects: Iterable[str]) -> dict[str, AESGCM | None]:
    """Each subject's data key, made on first use (None: the subject was erased).

    One ``INSERT … ON CONFLICT … RETURNING`` for them all: a key that exists comes back as
    it is (a racing first use gets the winner's), an erased subject's stays empty.
    """
    subjects = sorted(set(subjects))  # one order for every writer's row locks
    if not subjects:
        return {}
    now = timezone.now()
    params: list[Any] = []
    for subject in subjects:
        wrapped, master_id = _wrap(subject, AESGCM.generate_key(bit_length=256))
        params += [subject, wrapped, master_id, now]
    values = ", ".join(["(%s, %s, %s, %s)"] * len(subjects))
    sql = (
        f"INSERT INTO {_table()} (subject, wrapped, master, created_at) VALUES {values} "
        "ON CONFLICT (subject) DO UPDATE SET subject = EXCLUDED.subject "
        "RETURNING subject, wrapped, master"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        subject: None if stored is None else AESGCM(_unwrap(subject, stored, master_id))
        for subject, stored, master_id in rows
    }


def _stored_keys(subjects: set[str] | None) -> dict[str, bytes | None]:
    """The subjects' data keys, unwrapped (None: erased); every stored key if ``None``."""
    sql = f"SELECT subject, wrapped, master FROM {_table()}"  # no ORM: thousands at once
    params: list[str] = []
    if subjects is not None:
        params = list(subjects)
        sql += f" WHERE subject IN ({', '.join(['%s'] * len(params))})"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {
            subject: None if wrapped is None else _unwrap(subject, wrapped, master_id)
            for subject, wrapped, master_id in cursor.fetchall()
        }


def _keys_for_reading(subjects: set[str]) -> dict[str, bytes | None]:
    """The subjects' keys (None: erased or never made), from ``reading()``'s cache if any.

    Raw keys, not ciphers: a cipher object weighs some 2.4 kB, and a rebuild may read
    hundreds of thousands of keys.
    """
    cached: dict[str, bytes | None] | None = getattr(_local, "cache", None)
    wanted = subjects if cached is None else {s for s in subjects if s not in cached}
    found: dict[str, bytes | None] = dict.fromkeys(wanted)
    if wanted:
        found.update(_stored_keys(wanted))
    if cached is None:
        return found
    cached.update(found)
    return {s: cached[s] for s in subjects}


@contextlib.contextmanager
def reading(*, every_key: bool = False) -> Iterator[None]:
    """Read many events: each subject's key is fetched once inside the block.

    ``every_key`` loads every stored key at the start, in one query (a rebuild, which
    reads the whole log: a key fetched by its subject costs a random read each); a key
    made meanwhile is still fetched when an event needs it.

    Inside a transaction on PostgreSQL it also holds the erasure lock shared, so what the
    block copies out of the log (a rebuild's rows, a subscriber's emails) cannot outlive an
    erasure that runs meanwhile: the erasure waits for it, then removes it.
    """
    if getattr(_local, "cache", None) is not None:
        yield
        return
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])
    _local.cache = _stored_keys(None) if every_key else {}
    _local.every_key = every_key
    try:
        yield
    finally:
        _local.cache = None
        _local.every_key = False


_SUBJECT_IN_JSON = re.compile(r'"' + re.escape(SEALED) + r'([^"~]+)~')


def prefetch(texts: Iterable[str | bytes | None]) -> None:
    """Inside ``reading()``: fetch, in one query, the keys the sealed values in these stored
    JSON texts need (a rebuild's chunk, a subscriber's batch), so decoding them asks none."""
    if getattr(_local, "cache", None) is None or getattr(_local, "every_key", False):
        return
    subjects = set()
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode()
        if text and SEALED in text:
            subjects.update(_SUBJECT_IN_JSON.findall(text))
    if subjects:
        _keys_for_reading(subjects)


# --- Sealing and revealing --------------------------------------------------------------------


def subject_of(event_type: registry.EventType, event: object, stream_id: UUID) -> str:
    personal = event_type.personal
    subject = personal.subject(event) if personal and personal.subject else None
    return subject or f"{event_type.stream_type}:{stream_id}"


def seal_all(
    stream_id: UUID, items: list[tuple[registry.EventType, object, dict]], *, force: bool = False
) -> None:
    """Encrypt, in place, the personal fields of each (event type, event, its JSON data)."""
    seal_many([(stream_id, *item) for item in items], force=force)


def seal_many(
    items: list[tuple[UUID, registry.EventType, object, dict]], *, force: bool = False
) -> None:
    """``seal_all`` for events of several streams: (stream id, event type, event, data).

    An event's personal values are encrypted together, once: the first field holds the
    envelope ``~pd1~<subject>~<base64 of nonce + ciphertext of the JSON list of values>``,
    each other field a reference to its place in that list (``~pd1~@2``).
    """
    if not (enabled() or force):
        return
    personal = [item for item in items if item[1].personal is not None]
    if not personal:
        return
    subjects = [subject_of(t, e, stream_id) for stream_id, t, e, _ in personal]
    keys = _keys_for_writing(subjects)
    for (_, event_type, _, data), subject in zip(personal, subjects, strict=True):
        _seal_event(data, event_type.personal.fields, subject, keys[subject])


def _plain(value: Any) -> bool:
    return isinstance(value, str) and value not in ("", ERASED) and not value.startswith(SEALED)


def _seal_event(data: dict, fields: tuple[str, ...], subject: str, key: AESGCM | None) -> None:
    values: list[str] = []

    def collect(value: Any) -> Any:
        if _plain(value):
            values.append(value)
        return value

    for path in fields:
        _replace(data, path.split("."), collect)
    if not values:
        return
    if key is None:  # the subject was erased: nothing of theirs is written any more
        envelope = ERASED
    else:
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + key.encrypt(nonce, json.dumps(values).encode(), subject.encode())
        envelope = f"{SEALED}{subject}~{base64.b64encode(sealed).decode()}"
    count = iter(range(len(values)))

    def place(value: Any) -> Any:
        if not _plain(value):
            return value
        n = next(count)
        return envelope if n == 0 or key is None else f"{SEALED}@{n}"

    for path in fields:
        _replace(data, path.split("."), place)


def _replace(data: Any, path: list[str], change: Callable[[Any], Any]) -> None:
    """Apply ``change`` to the value at ``path`` (a list's items each, on the way)."""
    if isinstance(data, list):
        for item in data:
            _replace(item, path, change)
        return
    if not isinstance(data, dict) or path[0] not in data:
        return
    if len(path) == 1:
        data[path[0]] = change(data[path[0]])
    else:
        _replace(data[path[0]], path[1:], change)


def _split(value: str) -> tuple[str, bytes] | None:
    subject, sep, text = value[len(SEALED) :].rpartition("~")
    if not sep:
        return None
    try:
        return subject, binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def _open(found: list[str], keys: dict[str, bytes | None]) -> dict[str, str]:
    """Each sealed value of one event, in plain text (``ERASED`` once its key is gone)."""
    plain: dict[str, str] = {}
    values: list[str] | None = None
    for value in found:
        if value.startswith(SEALED + "@"):
            continue
        part = _split(value)
        if part is None:
            continue
        subject, sealed = part
        if subject not in keys:
            keys.update(_keys_for_reading({subject}))
        key = keys[subject]
        if key is None:
            continue
        try:
            values = json.loads(
                AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], subject.encode())
            )
        except (InvalidTag, ValueError):
            continue
        plain[value] = values[0]
    for value in found:
        if value in plain:
            continue
        if values is not None and value.startswith(SEALED + "@"):
            try:
                plain[value] = values[int(value[len(SEALED) + 1 :])]
                continue
            except (ValueError, IndexError):
                pass
        plain[value] = ERASED
    return plain


def _sealed_values(data: Any, found: list) -> None:
    if isinstance(data, str):
        if data.startswith(SEALED):
            found.append(data)
    elif isinstance(data, dict):
        for value in data.values():
            _sealed_values(value, found)
    elif isinstance(data, list):
        for value in data:
            _sealed_values(value, found)


def reveal(data: dict[str, Any]) -> dict[str, Any]:
    """The event's JSON with every sealed value decrypted, or ``ERASED`` if its key is gone."""
    found: list[str] = []
    _sealed_values(data, found)
    if not found:
        return data
    return _substitute(data, _open(found, _reading_keys()))


_SEALED_TOKEN = re.compile(r'"(' + re.escape(SEALED) + r'[^"]*)"')
_quote = json.encoder.encode_basestring_ascii  # a str as JSON, exactly as json.dumps writes it


def reveal_text(text: str | bytes) -> str:
    """The stored JSON text with every sealed value replaced by its plain text (a JSON
    string), or by ``ERASED``: the read path's way, one pass over the text, before
    pydantic parses it (and before any upcaster sees it)."""
    if isinstance(text, bytes):
        text = text.decode()
    parts = _SEALED_TOKEN.split(text)  # text, sealed value, text, sealed value, …, text
    if len(parts) == 1:
        return text
    sealed = parts[1::2]
    plain = _open(sealed, _reading_keys())
    parts[1::2] = [_quote(plain[value]) for value in sealed]
    return "".join(parts)


def _reading_keys() -> dict[str, bytes | None]:
    cached = getattr(_local, "cache", None)
    return cached if cached is not None else {}


def _substitute(data: Any, plain: dict[str, str]) -> Any:
    if isinstance(data, str):
        return plain.get(data, data)
    if isinstance(data, dict):
        return {k: _substitute(v, plain) for k, v in data.items()}
    if isinstance(data, list):
        return [_substitute(v, plain) for v in data]
    return data


def personal_paths(event_type_name: str) -> tuple[str, ...]:
    """The declared personal fields of an event type (dotted paths), for masking."""
    try:
        personal = registry.get(event_type_name).personal
    except registry.UnknownEventType:
        return ()
    return personal.fields if personal else ()


def mask(event_type_name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The event's JSON with its personal fields shown as ``MASK`` (staff without the right)."""
    import copy

    masked = copy.deepcopy(data)
    for path in personal_paths(event_type_name):
        _replace(masked, path.split("."), lambda v: MASK if isinstance(v, str) and v else v)
    found: list[str] = []
    _sealed_values(masked, found)  # and whatever is sealed elsewhere (an older schema's place)
    return _substitute(masked, dict.fromkeys(found, MASK)) if found else masked


# --- Erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Erasure:
    """What one erasure forgets: the subjects' keys, and the data copied from their streams."""

    subjects: tuple[str, ...]
    streams: tuple[UUID, ...] = ()
    user_id: int | None = None  # a customer's account, when it is theirs
    emails: tuple[str, ...] = ()  # addresses known to be theirs (emails, log-in records)
    usernames: tuple[str, ...] = ()


Eraser = Callable[[Erasure], None]
_erasers: dict[str, Eraser] = {}


def register_eraser(name: str, eraser: Eraser) -> None:
    """Run ``eraser`` in every erasure's transaction: it removes what its app copied."""
    _erasers[name] = eraser


def lock_for_erasure() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def destroy_keys(subjects: Iterable[str]) -> int:
    """Forget the subjects' data keys (a row stays, empty, so none is made again)."""
    from shop.models import DataKey

    subjects = sorted(set(subjects))
    now = timezone.now()
    destroyed = DataKey.objects.filter(subject__in=subjects, wrapped__isnull=False).update(
        wrapped=None, master="", erased_at=now
    )
    known = set(DataKey.objects.filter(subject__in=subjects).values_list("subject", flat=True))
    DataKey.objects.bulk_create(
        [
            DataKey(subject=s, wrapped=None, created_at=now, erased_at=now)
            for s in subjects
            if s not in known
        ]
    )
    return destroyed


def erase(erasure: Erasure) -> None:
    """Forget ``erasure``'s subjects: keys, read-model columns, snapshots, and what apps copied.

    Must run inside the transaction that records the erasure's event.
    """
    from shop import projections, snapshots
    from shop.models import Snapshot

    if not connection.in_atomic_block:
        raise RuntimeError("erase() must run inside transaction.atomic()")
    lock_for_erasure()
    destroy_keys(erasure.subjects)
    projections.erase_personal(erasure.streams)
    Snapshot.objects.filter(stream_id__in=erasure.streams).delete()
    for stream_id in erasure.streams:
        snapshots.recent_states.forget_stream(stream_id)
    _local.cache = None if getattr(_local, "cache", None) is None else {}
    _local.every_key = False
    for eraser in _erasers.values():
        eraser(erasure)


# --- Operators: rotating the master key, sealing events stored before ----------------------------


def rotate_master_key(*, batch: int = 500) -> int:
    """Wrap every data key with the first key of ``SHOP_DATA_KEY``; return how many changed.

    Events are not touched: only the ``DataKey`` rows, each in its own small update.
    """
    from shop.models import DataKey

    current = master_keys()[0].id
    changed = 0
    while True:
        with transaction.atomic():
            rows = list(
                DataKey.objects.select_for_update()
                .filter(wrapped__isnull=False)
                .exclude(master=current)
                .values_list("subject", "wrapped", "master")[:batch]
            )
            for subject, wrapped, master_id in rows:
                key = _unwrap(subject, wrapped, master_id)
                new, master = _wrap(subject, key)
                DataKey.objects.filter(subject=subject).update(wrapped=new, master=master)
            changed += len(rows)
        if len(rows) < batch:
            return changed


def _holds_plain(data: dict, fields: tuple[str, ...]) -> bool:
    found = []

    def note(value: Any) -> Any:
        if _plain(value):
            found.append(value)
        return value

    for path in fields:
        _replace(data, path.split("."), note)
    return bool(found)


def seal_stored(*, batch: int = 500, log: Callable[[str], None] = lambda line: None) -> int:
    """Encrypt the personal fields that events stored before encryption hold in plain text.

    The one rewrite of stored events: only the declared fields of events of declared types,
    only where they still hold plain text, nothing else of the row. On PostgreSQL the
    append-only trigger lets exactly that through while ``shop.sealing_personal_data`` is
    on in the transaction (``shop/migrations/0008``); every row is logged. Returns how many
    events it sealed; a second run seals none.
    """
    from shop.models import Event

    sealed = 0
    data_field = Event._meta.get_field("data")
    table = connection.ops.quote_name(Event._meta.db_table)
    for event_type in registry.all_types():
        if event_type.personal is None:
            continue
        last = 0
        while True:
            with transaction.atomic():
                rows = list(
                    Event.objects.filter(event_type=event_type.name, position__gt=last)
                    .order_by("position")
                    .values_list("position", "stream_id", "schema_version", "data")[:batch]
                )
                if connection.vendor == "postgresql" and rows:
                    with connection.cursor() as cursor:
                        cursor.execute(
                            "SELECT set_config('shop.sealing_personal_data', 'on', true)"
                        )
                changed = []
                for position, stream_id, schema_version, data in rows:
                    if not _holds_plain(data, event_type.personal.fields):
                        continue
                    event = registry.from_data(event_type.name, schema_version, data, stream_id)
                    changed.append((position, stream_id, event, json.loads(json.dumps(data))))
                seal_many([(s, event_type, e, d) for _, s, e, d in changed], force=True)
                updates = [(position, data) for position, _, _, data in changed]
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {table} SET data = %s WHERE position = %s",
                        [
                            [data_field.get_db_prep_save(data, connection), position]
                            for position, data in updates
                        ],
                    )
                for position, _ in updates:
                    log(f"event #{position} ({event_type.name}): personal data sealed")
                sealed += len(updates)
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return sealed
