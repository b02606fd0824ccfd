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
