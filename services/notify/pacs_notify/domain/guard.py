"""The last line of defence against patient data in a message. Pure.

Texts are built from templates that carry no patient fields, but some parts come from people (an
escalation's reason, a summary): a text that looks like it names a patient is refused, not sent.
What counts: DICOM patient-module tags by number or keyword, their Chinese labels, a DICOM person
name (FAMILY^GIVEN), a medical record number, a labelled birth date, and a Chinese resident
identity number (18 characters with a valid check digit).
"""

from __future__ import annotations

import re

_PATTERNS: dict[str, re.Pattern[str]] = {
    "dicom_patient_tag": re.compile(r"\(?\b0010\s*,\s*00(?:10|20|30|32|40|1000|1010|2160)\b\)?", re.I),
    "dicom_patient_keyword": re.compile(
        r"\b(?:patient'?s?\s*(?:name|id|birth\s*date|sex|age|address)|PatientName|PatientID|PatientBirthDate|"
        r"OtherPatientIDs|IssuerOfPatientID)\b", re.I,
    ),
    "chinese_patient_label": re.compile(r"(?:患者|病人|病患)(?:姓名|名字|编号|ID|号)|病历号|住院号|门诊号|身份证"),
    "person_name": re.compile(r"\b[A-Za-z]{2,}\^[A-Za-z]{2,}"),
    "medical_record_number": re.compile(r"\b(?:MRN|medical\s+record\s+(?:number|no\.?))\b", re.I),
    "birth_date": re.compile(
        r"(?:\b(?:DOB|date\s+of\s+birth|born)\b|出生(?:日期)?)\s*[:：]?\s*\d{4}[-/.年]?\d{1,2}", re.I
    ),
}  # fmt: skip
_RESIDENT_ID = re.compile(r"(?<!\d)(\d{17}[\dXx])(?!\d)")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def _resident_id(candidate: str) -> bool:
    total = sum(int(d) * w for d, w in zip(candidate[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == candidate[17].upper()


KINDS = (*_PATTERNS, "resident_id_number")  # every kind the guard can name


def patient_identifiers(text: str) -> list[str]:
    """The kinds of patient identifier `text` seems to carry; empty when it is clean."""
    found = [kind for kind, pattern in _PATTERNS.items() if pattern.search(text)]
    if any(_resident_id(m.group(1)) for m in _RESIDENT_ID.finditer(text)):
        found.append("resident_id_number")
    return found
