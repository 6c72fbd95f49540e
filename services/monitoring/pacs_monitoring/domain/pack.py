"""The rule pack: threshold rules as data (YAML), checked rule by rule with the line of each mistake. Pure."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from pacs_contracts.common import Identifier, IsoDuration, Severity, parse_duration
from pacs_contracts.envelope import Contract

DEFAULT_PACK = Path(__file__).parents[1] / "rules" / "default.yaml"


class Rule(Contract):
    name: Identifier
    metric: Identifier
    labels: dict[str, str] = Field(default_factory=dict, description="a sample matches when it carries all of these")
    op: Literal[">=", "<="] = Field(description=">= fires at or above the threshold, <= at or below it")
    threshold: float
    clear: float = Field(description="the value that clears a breach: hysteresis, so a value near the line is calm")
    for_: IsoDuration = Field("PT0S", alias="for", description="how long it must hold before it fires")
    severity: Severity
    problem_class: Identifier
    record_only: bool = Field(False, description="recorded for the estate view, never published (e.g. wait events)")

    model_config = Contract.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _clear_on_the_calm_side(self) -> Rule:
        wrong_side = self.clear > self.threshold if self.op == ">=" else self.clear < self.threshold
        if wrong_side:
            raise ValueError(f"clear {self.clear:g} must be on the calm side of threshold {self.threshold:g}")
        return self

    @property
    def for_seconds(self) -> float:
        return parse_duration(self.for_).total_seconds()

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        return name == self.metric and all(labels.get(k) == v for k, v in self.labels.items())

    def observe(self, value: float) -> bool | None:
        """True when firing, False when clear, None in between (no news)."""
        firing = value >= self.threshold if self.op == ">=" else value <= self.threshold
        if firing:
            return True
        calm = value < self.clear if self.op == ">=" else value > self.clear
        return False if calm else None


class PackError(ValueError):
    """A rule pack that does not validate; the message names the line."""


def parse_pack(text: str) -> list[Rule]:
    """`rules:` followed by a list of rules; every mistake is reported with its line."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise PackError(f"{where}not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(root, yaml.MappingNode):
        raise PackError("line 1: a rule pack is a mapping with a `rules` list")
    items = dict((k.value, v) for k, v in root.value)
    node = items.get("rules")
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise PackError(f"line {root.start_mark.line + 1}: `rules` must be a non-empty list")
    data: dict[str, Any] = yaml.safe_load(text)
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    problems: list[str] = []
    for item, raw in zip(node.value, data["rules"], strict=True):
        line = item.start_mark.line + 1
        try:
            rule = Rule.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "rule"
            problems.append(f"line {line}: {field}: {first['msg']}")
            continue
        if rule.name in seen:
            problems.append(f"line {line}: rule {rule.name!r} is defined again (first on line {seen[rule.name]})")
            continue
        seen[rule.name] = line
        rules.append(rule)
    if problems:
        raise PackError("; ".join(problems[:10]))
    return rules


def default_pack() -> tuple[str, list[Rule]]:
    text = DEFAULT_PACK.read_text(encoding="utf-8")
    return text, parse_pack(text)
