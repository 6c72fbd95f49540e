"""The rule pack: threshold rules and capacity forecasts as data (YAML), checked with the line of each mistake. Pure.

The pack shipped with the service (or an admin's replacement) holds complete definitions. A site,
and a host within it, may override it: an override names a rule or forecast and gives only the
fields it changes (`threshold: 95`, `enabled: false`), or defines a new one in full.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, model_validator

from pacs_contracts.common import Identifier, IsoDuration, Severity, parse_duration
from pacs_contracts.envelope import Contract
from pacs_monitoring.domain.rules import Observation

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
    enabled: bool = Field(True, description="false switches the rule off (e.g. for one host in an override)")
    flap_window: IsoDuration = Field("PT30M", description="flips are counted over this window")
    flap_transitions: int = Field(4, ge=2, description="this many flips within the window make the rule flapping")

    model_config = Contract.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _clear_on_the_calm_side(self) -> Rule:
        wrong_side = self.clear > self.threshold if self.op == ">=" else self.clear < self.threshold
        if wrong_side:
            raise ValueError(f"clear {self.clear:g} must be on the calm side of threshold {self.threshold:g}")
        return self

    @cached_property
    def for_seconds(self) -> float:
        return parse_duration(self.for_).total_seconds()

    @cached_property
    def flap_seconds(self) -> float:
        return parse_duration(self.flap_window).total_seconds()

    def observation(self, host: str, value: float) -> Observation:
        return Observation(
            host=host, rule=self.name, problem_class=self.problem_class, severity=self.severity, value=value,
            threshold=self.threshold, firing=self.observe(value), for_seconds=self.for_seconds,
            record_only=self.record_only, flap_window=self.flap_seconds,
            flap_transitions=self.flap_transitions,
        )  # fmt: skip

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        return name == self.metric and all(labels.get(k) == v for k, v in self.labels.items())

    def observe(self, value: float) -> bool | None:
        """True when firing, False when clear, None in between (no news)."""
        firing = value >= self.threshold if self.op == ">=" else value <= self.threshold
        if firing:
            return True
        calm = value <= self.clear if self.op == ">=" else value >= self.clear
        return False if calm else None


class Forecast(Contract):
    """Fit the recent trend of a capacity metric and warn while exhaustion is still `horizon` away."""

    name: Identifier
    metric: Identifier
    labels: dict[str, str] = Field(default_factory=dict)
    limit: float = Field(100.0, description="the value at which the capacity is exhausted")
    horizon: IsoDuration = Field("P14D", description="warn when exhaustion is predicted within this")
    lookback: IsoDuration = Field("P7D", description="the trend is fitted over this much history")
    min_points: int = Field(24, ge=3, description="no forecast from fewer points than this")
    severity: Severity = Severity.major
    enabled: bool = True

    def matches(self, name: str, labels: dict[str, str]) -> bool:
        return name == self.metric and all(labels.get(k) == v for k, v in self.labels.items())


PROBLEM_FORECAST = "capacity_forecast"


@dataclass(frozen=True)
class Pack:
    rules: list[Rule]
    forecasts: list[Forecast] = field(default_factory=list)

    @cached_property
    def by_metric(self) -> dict[str, tuple[list[Rule], list[Forecast]]]:
        """The enabled rules and forecasts of each metric: a sample looks up only its own."""
        found: dict[str, tuple[list[Rule], list[Forecast]]] = {}
        for rule in self.rules:
            if rule.enabled:
                found.setdefault(rule.metric, ([], []))[0].append(rule)
        for forecast in self.forecasts:
            if forecast.enabled:
                found.setdefault(forecast.metric, ([], []))[1].append(forecast)
        return found


class PackError(ValueError):
    """A rule pack that does not validate; the message names the line."""


SECTIONS: dict[str, type[Rule] | type[Forecast]] = {"rules": Rule, "forecasts": Forecast}


def parse_pack(text: str) -> Pack:
    """A complete pack: `rules:` (non-empty) and optionally `forecasts:`."""
    return _parse(text, None)


def parse_override(text: str, base: Pack) -> Pack:
    """A site's or host's override applied to `base`: named entries merge onto the base, new names are complete."""
    return _parse(text, base)


@lru_cache(maxsize=1024)
def resolve(base_text: str, site_text: str | None = None, host_text: str | None = None) -> Pack:
    """The pack in force for a host: the base, then the site's override, then the host's.

    Cached per distinct texts, as every batch asks for it; raises PackError like the parsers.
    """
    pack = parse_pack(base_text)
    for text in (site_text, host_text):
        if text is not None:
            pack = parse_override(text, pack)
    return pack


def _parse(text: str, base: Pack | None) -> Pack:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise PackError(f"{where}not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(root, yaml.MappingNode):
        raise PackError("line 1: a rule pack is a mapping with a `rules` list")
    nodes = {k.value: (k, v) for k, v in root.value}
    problems = [f"line {k.start_mark.line + 1}: unknown section {name!r} (known: rules, forecasts)"
                for name, (k, _) in nodes.items() if name not in SECTIONS]  # fmt: skip
    rules_node = nodes.get("rules", (None, None))[1]
    if base is None and (not isinstance(rules_node, yaml.SequenceNode) or not rules_node.value):
        raise PackError(f"line {root.start_mark.line + 1}: `rules` must be a non-empty list")
    data: dict[str, Any] = yaml.safe_load(text) or {}
    found: dict[str, list[Any]] = {}
    for section, model in SECTIONS.items():
        node = nodes.get(section, (None, None))[1]
        if node is None:
            found[section] = []
            continue
        if not isinstance(node, yaml.SequenceNode):
            problems.append(f"line {node.start_mark.line + 1}: `{section}` must be a list")
            continue
        inherited = {} if base is None else {x.name: x for x in getattr(base, section)}
        found[section] = _entries(node, data[section], model, inherited, problems)
    if problems:
        raise PackError("; ".join(problems[:10]))
    if base is None:
        return Pack(found["rules"], found["forecasts"])
    return Pack(_merge(base.rules, found["rules"]), _merge(base.forecasts, found["forecasts"]))


def _entries(node: yaml.SequenceNode, raws: list[Any], model: Any, inherited: dict[str, Any],
             problems: list[str]) -> list[Any]:  # fmt: skip
    """Validate each entry of a section; an entry naming an inherited one gives only what it changes."""
    kept: list[Any] = []
    seen: dict[str, int] = {}
    for item, raw in zip(node.value, raws, strict=True):
        line = item.start_mark.line + 1
        name = raw.get("name") if isinstance(raw, dict) else None
        if isinstance(name, str) and name in inherited:
            raw = inherited[name].model_dump(by_alias=True) | raw
        try:
            entry = model.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or model.__name__.lower()
            problems.append(f"line {line}: {where}: {first['msg']}")
            continue
        if entry.name in seen:
            again = f"{model.__name__.lower()} {entry.name!r} is defined again (first on line {seen[entry.name]})"
            problems.append(f"line {line}: {again}")
            continue
        seen[entry.name] = line
        kept.append(entry)
    return kept


def _merge(base: list[Any], changed: list[Any]) -> list[Any]:
    by_name = {x.name: x for x in changed}
    return [by_name.pop(x.name, x) for x in base] + list(by_name.values())


@lru_cache(maxsize=1)
def default_pack() -> tuple[str, Pack]:
    text = DEFAULT_PACK.read_text(encoding="utf-8")
    return text, parse_pack(text)
