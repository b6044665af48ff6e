"""Broad hypothesis generators for form fuzzing: plain words, numbers and JSON-looking text."""

import json

from hypothesis import strategies as st

WORDS = st.text(st.characters(codec="utf-8"), max_size=40)
NUMBERS = st.one_of(
    st.integers(-(10**15), 10**15).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
).map(json.dumps)
