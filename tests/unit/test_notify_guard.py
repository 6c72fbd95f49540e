"""The patient-data guard and the ack links, without I/O."""

from __future__ import annotations

import pytest

from pacs_notify.domain.ack import ack_key, genuine, new_token
from pacs_notify.domain.guard import patient_identifiers


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("images of PatientName DOE^JOHN fail", "person_name"),
        ("tag (0010,0020) missing on study", "dicom_patient_tag"),
        ("check Patient ID 12345 at the modality", "dicom_patient_keyword"),
        ("患者姓名 张三 的影像无法调阅", "chinese_patient_label"),
        ("住院号 20261234 的报告丢失", "chinese_patient_label"),
        ("MRN 889911 cannot be found", "medical_record_number"),
        ("DOB: 1975-04-02", "birth_date"),
        ("出生日期：1980年5月", "birth_date"),
        ("身份证 11010519491231002X 登记", "resident_id_number"),
    ],
)
def test_texts_that_seem_to_name_a_patient_are_caught(text: str, kind: str) -> None:
    assert kind in patient_identifiers(text)


@pytest.mark.parametrize(
    "text",
    [
        "[PACS] INC-1A2B major at SITE-EAST-01: PACS-STORE-FAIL on ARCHIVE-01. You own it at L1; respond now.",
        "[PACS] INC-1A2B SITE-EAST-01 已升级 L1→L2。现由您负责，请立即响应。 确认：https://pso.example/ack/abc",
        "archive at 92 %, tablespace 2026-12-01 predicted full",
        "order 110105194912310021 is a number with a wrong check digit",
    ],
)
def test_ordinary_service_texts_pass(text: str) -> None:
    assert patient_identifiers(text) == []


def test_ack_tokens_are_short_signed_and_bound_to_the_key() -> None:
    key = ack_key("a" * 32)
    token = new_token(key)
    assert len(token) == 22 and genuine(key, token)
    assert not genuine(ack_key("b" * 32), token), "another deployment's key"
    assert not genuine(key, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert new_token(key) != token
