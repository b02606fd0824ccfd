"""luoyang-metrics: Chinese government economic reports in, a tidy indicator table out.

Library first::

    from luoyang_metrics import extract_text, extract_dir
    rows = extract_text("2023年,全区地区生产总值412.6亿元,增长3.8%。", region="嵩县")
    df = extract_dir("seeds")
"""

from .errors import LuoyangError, ReadError, RuleError, UsageError
from .model import COLUMNS, Row
from .pipeline import extract_dir, extract_text
from .rules import RuleSet, load_rules

__all__ = [
    "COLUMNS",
    "LuoyangError",
    "ReadError",
    "Row",
    "RuleError",
    "RuleSet",
    "UsageError",
    "extract_dir",
    "extract_text",
    "load_rules",
]
__version__ = "0.1.0"
