"""The one labels module: display names in both languages, input aliases, origin tags."""

import pytest

from kexie_research import labels
from kexie_research.schema import DELEGATION_TYPES, ORG_TYPES, SECTORS, TRAINING_MODALITIES


@pytest.mark.parametrize("kind, codes", [("sector", SECTORS), ("delegation_type", DELEGATION_TYPES),
                                         ("org_type", ORG_TYPES), ("modality", TRAINING_MODALITIES)])
def test_every_schema_code_has_both_names(kind, codes):
    names = labels.table(kind)
    for c in codes:
        zh, en = names[c]
        assert zh and en and zh != c


@pytest.mark.parametrize("kind", labels.KINDS)
def test_aliases_round_trip(kind):
    # every display name the project prints maps back to its code
    al = labels.aliases(kind)
    for code, (zh, en) in labels.table(kind).items():
        assert al[zh] == code and al[en.casefold()] == code and al[code] == code


def test_cannot_leave_post_has_one_name():
    # seed 000 §三: 难以离开工作岗位; one name everywhere (was 无法脱岗 in one place)
    assert labels.label("cannot_leave_post", "zh") == "难以离岗"
    assert labels.aliases("segment")["无法脱岗"] == "cannot_leave_post"


def test_origins():
    assert labels.origin_tag("synthetic", "zh") == "【合成数据】"
    assert labels.origin_tag("synthetic", "en") == "[synthetic]"
    with pytest.raises(ValueError, match="origin"):
        labels.origin_tag("made_up")
    assert labels.combine_origins(["model"]) == "model"
    with pytest.raises(ValueError):
        labels.label("x", "fr")
