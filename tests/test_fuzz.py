"""Fuzzing in CI: Hypothesis drives the readers of untrusted input (tests/fuzz_targets.py) with
random input and mutated real pages. None may raise anything but the project's documented
errors, none may take more than 2 s. bench/fuzz.py runs the same targets on >= 10,000 inputs."""
from __future__ import annotations

import random

import fuzz_targets as fz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module", autouse=True)
def warm():
    fz.warm_up()


def mutated_pages():
    pages = fz.real_pages()
    return st.builds(lambda i, seed: fz.mutate(pages[i % len(pages)], random.Random(seed)),
                     st.integers(0, len(pages) - 1), st.integers(0, 2**32))


def check(target, value):
    seconds = fz.timed(target, value)
    assert seconds < fz.MAX_SECONDS, f"{target.__name__} took {seconds:.1f}s"


@FUZZ
@given(st.one_of(mutated_pages(), st.binary(max_size=3000)))
def test_extract_page_reads_anything(body):
    check(fz.target_extract_page, body)


@FUZZ
@given(st.one_of(mutated_pages(), st.binary(max_size=3000)))
def test_comment_extractors_read_anything(body):
    check(fz.target_comments, body)
    check(fz.target_comment_responses, body)


@settings(FUZZ, max_examples=150)
@given(st.one_of(st.text(max_size=300), st.sampled_from(fz.ODD_URLS),
                 st.builds(lambda a, b: a + b, st.sampled_from(fz.ODD_URLS), st.text(max_size=50))))
def test_canonical_url_reads_anything(url):
    check(fz.target_url, url)


@settings(FUZZ, max_examples=100)
@given(st.one_of(st.text(max_size=300), st.sampled_from(fz.ODD_DATES)))
def test_dates_read_anything(text):
    check(fz.target_date, text)


@FUZZ
@given(st.one_of(mutated_pages(), st.binary(max_size=3000)))
def test_charset_detection_reads_anything(body):
    check(fz.target_charset, body)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), st.builds(lambda seed: fz.mutate(fz.SITEMAP, random.Random(seed)),
                                                     st.integers(0, 2**32))))
def test_sitemap_parsing_reads_anything(body):
    check(fz.target_sitemap, body)


@FUZZ
@given(st.one_of(st.binary(max_size=3000), st.builds(lambda seed: fz.mutate(fz.FEED, random.Random(seed)),
                                                     st.integers(0, 2**32))))
def test_feed_parsing_reads_anything(body):
    check(fz.target_feed, body)
