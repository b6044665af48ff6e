"""shop.env.env: every environment variable read one way, typed by its default."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st

from shop import settings as settings_module
from shop.env import env


@pytest.mark.parametrize(
    ("raw", "default", "expected"),
    [
        (None, True, True),
        ("", True, True),
        ("  ", 7, 7),
        ("1", False, True),
        ("Yes", False, True),
        (" on ", False, True),
        ("TRUE", False, True),
        ("0", True, False),
        ("off", True, False),
        ("No", True, False),
        ("false", True, False),
        ("42", 5, 42),
        ("-3", 5, -3),
        ("2.5", 10.0, 2.5),
        ("a.example, b.example,,", [], ["a.example", "b.example"]),
        ("90", timedelta(seconds=5), timedelta(seconds=90)),
        ("2.5s", timedelta(seconds=5), timedelta(seconds=2.5)),
        ("15m", timedelta(seconds=5), timedelta(minutes=15)),
        ("2h", timedelta(seconds=5), timedelta(hours=2)),
        ("365d", timedelta(seconds=5), timedelta(days=365)),
        ("smtp.example.com", "localhost", "smtp.example.com"),
    ],
)
def test_a_variable_is_read_as_its_defaults_type(monkeypatch, raw, default, expected):
    if raw is None:
        monkeypatch.delenv("SHOP_TEST_VARIABLE", raising=False)
    else:
        monkeypatch.setenv("SHOP_TEST_VARIABLE", raw)
    value = env("SHOP_TEST_VARIABLE", default)
    assert value == expected
    assert type(value) is type(default)


def test_off_stands_for_a_value_where_a_setting_allows_it(monkeypatch):
    monkeypatch.setenv("SHOP_TEST_VARIABLE", "OFF")
    assert env("SHOP_TEST_VARIABLE", 5, off=None) is None
    monkeypatch.setenv("SHOP_TEST_VARIABLE", "12")
    assert env("SHOP_TEST_VARIABLE", 5, off=None) == 12
    monkeypatch.setenv("SHOP_TEST_VARIABLE", "off")
    with pytest.raises(ImproperlyConfigured, match="SHOP_TEST_VARIABLE='off'"):
        env("SHOP_TEST_VARIABLE", 5)  # no "off" for this one


@pytest.mark.parametrize(
    ("raw", "default", "says"),
    [
        ("maybe", False, "on or off"),
        ("ten", 10, "a whole number"),
        ("1.5", 10, "a whole number"),
        ("fast", 1.0, "a number"),
        ("5 weeks", timedelta(seconds=1), "a duration"),
        ("-5s", timedelta(seconds=1), "a duration"),
    ],
)
def test_a_value_that_does_not_parse_stops_with_the_variables_name(monkeypatch, raw, default, says):
    monkeypatch.setenv("SHOP_TEST_VARIABLE", raw)
    with pytest.raises(ImproperlyConfigured, match=f"SHOP_TEST_VARIABLE={raw!r} is not {says}"):
        env("SHOP_TEST_VARIABLE", default)


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_any_whole_number_reads_back(number):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOP_TEST_VARIABLE", f" {number} ")
        assert env("SHOP_TEST_VARIABLE", 0) == number


@given(st.lists(st.text("abcdefghij.-_0123456789", min_size=1), max_size=8))
def test_any_comma_separated_list_reads_back(items):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOP_TEST_VARIABLE", ",".join(items))
        assert env("SHOP_TEST_VARIABLE", ["default"]) == (items or ["default"])


# --- Every variable documented, none read another way ---------------------------------------

ROOT = Path(__file__).resolve().parents[2]
READ = re.compile(r"""\benv\(\s*["']([A-Z][A-Z0-9_]*)["']""")
# A read (not a write such as manage.py's os.environ["DEBUG"] = "1").
RAW = re.compile(r"""os\.environ\.get\(|os\.getenv\(|os\.environ\[[^]]+\](?!\s*=[^=])""")


def code_files():
    skipped = {".venv", ".venv-tools", "tests", "var", "staticfiles", "node_modules"}
    for path in sorted(ROOT.rglob("*.py")):
        if not skipped & set(path.relative_to(ROOT).parts):
            yield path


def variables_read() -> dict[str, Path]:
    return {name: path for path in code_files() for name in READ.findall(path.read_text())}


def test_every_variable_is_in_the_readme_and_the_shop_settings_in_their_docstring():
    readme = (ROOT / "README.md").read_text()
    found = variables_read()
    assert {"DEBUG", "DB_PREPARE_THRESHOLD", "LOG_LEVEL", "BENCH_DB"} <= set(found)
    for name, path in found.items():
        assert f"`{name}`" in readme, f"{name} ({path.name}) is not in the README"
        if path.parts[-2] != "benchmarks":
            assert re.search(rf"\b{name}\b", settings_module.__doc__), (
                f"{name} is not in the shop/settings.py docstring"
            )


def test_nothing_reads_the_environment_but_the_one_helper():
    readers = [p.relative_to(ROOT) for p in code_files() if RAW.search(p.read_text())]
    assert readers == [Path("shop/env.py")]
