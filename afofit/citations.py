"""The literature behind afofit's numbers, cited by author and year where they are shown.

afofit's rules carry their sources as the engineering reference's numbered entries
(``[S47]``, with the reference's section ``§2.3``); what a clinician reads names the
source itself. :func:`cite` turns the first into the second.
"""

from __future__ import annotations

import re

__all__ = ["CITATIONS", "cite"]

#: Reference entry → the source as a reader finds it (first author and year where there is
#: one; else the publisher and title).
CITATIONS: dict[str, str] = {
    "S1": "Shuman et al. 2023",
    "S5": "Chatzistergos et al. 2023",
    "S7": "Waterval et al. 2019",
    "S12": "Kobayashi et al. 2017",
    "S13": "AFO rehabilitation teaching notes",
    "S16": "Putra et al. 2023",
    "S22": "Eddison et al. 2022",
    "S29": "Faustini et al. 2008",
    "S35": "Scherb et al. 2023",
    "S37": "Waterval et al. 2021",
    "S38": "Mulroy et al. 2010",
    "S44": "Plagenhoef et al. 1983",
    "S46": "Moosabhoy & Gard 2006",
    "S47": "Podiapaedia, angular kinematics of gait",
    "S48": "Wiest et al. 1979",
    "S49": "sagittal gait kinematics teaching notes",
    "S50": "Klaewkasikum et al. 2022",
    "S51": "Winter 1991",
    "S53": "Shamaei et al. 2013",
    "S54": "Podiapaedia, drop foot gait",
    "S55": "review of drop-foot AFOs, Sci World J 2014",
    "S56": "Dictionary of Neurological Signs, steppage gait",
    "S57": "Cruz & Dhaher 2009",
    "S58": "Pongpipatpaiboon et al. 2018",
    "S59": "Rinella P&O, AFO design process",
    "S60": "StatPearls, steppage gait",
    "S65": "Huppin 2005",
    "S74": "MakeItFrom, PP homopolymer",
    "S75": "MakeItFrom, PP copolymer",
    "S78": "additive.tools, PLA",
    "S79": "additive.tools, PETG",
    "S80": "HP, PA 12 technical data sheet",
    "S81": "additive.tools, PA12",
    "S82": "additive.tools, PA11",
    "S83": "additive.tools, PA12-CF",
    "S86": "additive.tools, TPU",
    "S100": "3D-print export guidance",
}

_ENTRIES = re.compile(r"\[(S\d+(?:,\s*S\d+)*)\]")
_RULE = re.compile(r"§2\.5\s+rule\s+(\d+)")
_REFERENCE = re.compile(r"afo-engineering\.md\s*:?\s*")
_SECTION = re.compile(r"§[\d.]+\s*:?\s*")


def cite(source: str) -> str:
    """``source`` with the reference's entries named (``[S46]`` → "Moosabhoy & Gard 2006")
    and the reference's file name and section numbers left out; a bare confidence mark
    ("(D)") reads "derived (D)"."""

    def name(match: re.Match[str]) -> str:
        keys = [k.strip() for k in match.group(1).split(",")]
        return "; ".join(CITATIONS.get(k, k) for k in keys)

    text = _RULE.sub(r"afofit's prescription rule \1", source)
    text = _REFERENCE.sub("", text)
    text = _SECTION.sub("", text)
    text = _ENTRIES.sub(name, text)
    parts = []
    for part in re.split(r"\s*;\s*", text):
        part = re.sub(r"^[\s,:]+|[\s,:]+$", "", part)
        if part.startswith("("):
            part = f"derived {part}" if part.startswith("(D)") else part
        if part:
            parts.append(part)
    return "; ".join(parts) or source
