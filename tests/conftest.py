from __future__ import annotations

from pathlib import Path

import pytest

from luoyang_metrics.rules import RuleSet, load_rules

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def rs() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Keep every test's row cache out of the user's real cache folder."""
    monkeypatch.setenv("LUOYANG_METRICS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
