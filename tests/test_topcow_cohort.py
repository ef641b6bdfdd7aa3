"""The simulated cohort's errors follow vessel size and variant rarity, and the plain-vs-balanced lesson."""
import numpy as np
import pytest

from core.topcow import cohort
from core.topcow.anatomy import Variant

BLIND = cohort.ModelRates(thin_power=0.0, rare_factor=1.0)


@pytest.fixture(scope="module")
def cohorts():
    return {name: cohort.simulate_cohort(30, seed=0, rates=rates)
            for name, rates in (("blind", BLIND), ("conditioned", cohort.ModelRates()))}


def test_rates_change_the_model_not_the_anatomy(cohorts):
    assert [c["variant"] for c in cohorts["blind"]] == [c["variant"] for c in cohorts["conditioned"]]


def test_thin_vessels_weigh_more():
    radii = cohort.label_radii(Variant(r_pcom="hypoplastic"))
    normal = cohort.label_radii(Variant())
    assert radii[8] < normal[8] == pytest.approx(cohort.PCOM_MM)  # label 8: R-Pcom
    assert cohort.rare_variant(Variant(acom=False)) and not cohort.rare_variant(Variant(r_pcom="absent"))


def test_conditioned_model_fails_rare_variants_more_and_plain_accuracy_overstates(cohorts):
    cases = cohorts["conditioned"]
    err = lambda group: np.mean([bool(c["mistakes"]) for c in group])  # noqa: E731
    rare = [c for c in cases if c["rare"]]
    assert 0 < len(rare) < len(cases)
    assert err(rare) > err([c for c in cases if not c["rare"]])
    n = cohort.plain_versus_balanced(cases, "anterior")
    assert n["plain"] > n["balanced"] and n["common"]["accuracy"] > n["rest_accuracy"]
    rows = cohort.accuracy_by_class(cases, "anterior")
    assert sum(r["cases"] for r in rows) == len(cases)
    assert n["balanced"] == pytest.approx(np.mean([r["accuracy"] for r in rows]))
