"""Stored documents and the models they become: pure mapping, usable from a service's domain."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)
Document = dict[str, Any]


def model_of(model: type[M], doc: Document, *, id_as: str | None = None, **extra: Any) -> M:
    """The model (an API answer or an event) of a stored document: the fields the model declares, the document's
    `_id` under `id_as` (left out when None) and `extra` for what is computed or named otherwise. What the document
    holds beside them (`_id`, search keys, bookkeeping) stays out of the model."""
    fields = {k: v for k, v in doc.items() if k in model.model_fields}
    if id_as is not None:
        fields[id_as] = doc["_id"]
    return model.model_validate({**fields, **extra})
