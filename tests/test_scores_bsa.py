"""BSA: validation, palm method, NPF severity bands."""

import math

import pytest

from psoreg.errors import InvalidValue
from psoreg.scores import NpfSeverity, bsa_from_palms, npf_severity, validate_bsa


@pytest.mark.parametrize("ok", [0, 0.5, 3, 10, 100])
def test_validate_bsa_ok(ok):
    assert validate_bsa(ok) == ok


@pytest.mark.parametrize("bad", [-0.1, 100.1, math.nan, True, "5"])
def test_validate_bsa_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        validate_bsa(bad)
    assert exc.value.field == "bsa"
    assert "a number from 0 to 100" in str(exc.value)


@pytest.mark.parametrize(
    ("bsa", "band"),
    [
        (0, "mild"),
        (2.99, "mild"),
        (3, "moderate"),
        (10, "moderate"),
        (10.01, "severe"),
        (100, "severe"),
    ],
)
def test_npf_bands(bsa, band):
    assert npf_severity(bsa) == band
    assert isinstance(npf_severity(bsa), NpfSeverity)


def test_npf_rejects_out_of_range():
    with pytest.raises(InvalidValue) as exc:
        npf_severity(101)
    assert exc.value.field == "bsa"


def test_palms():
    # 1 palm ~ 1 % BSA in both conventions (sources disagree only on what a "palm" is)
    assert bsa_from_palms(1) == 1.0
    assert bsa_from_palms(2.5) == 2.5
    assert bsa_from_palms(0) == 0.0
    assert bsa_from_palms(4, includes_fingers=False) == 4.0
    assert bsa_from_palms(100) == 100.0


@pytest.mark.parametrize("bad", [-1, 100.5, math.nan, True])
def test_palms_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        bsa_from_palms(bad)
    assert exc.value.field == "n_palms"
    assert "a number from 0 to 100" in str(exc.value)


def test_palms_fingers_flag_must_be_bool():
    with pytest.raises(InvalidValue) as exc:
        bsa_from_palms(1, includes_fingers="yes")
    assert exc.value.field == "includes_fingers"
